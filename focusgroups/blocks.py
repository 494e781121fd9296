"""Blocks for the flexible body of the site's pages: the shared ones every general page uses
(BodyStreamBlock, also used by home's pages: home is the site's top app and imports this one,
never the reverse), and the focus group page's own."""

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(
        max_length=120, help_text="The heading as readers will see it. Keep it short."
    )
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section heading"), ("h3", "Sub-heading")],
        default="h2",
        help_text="Use 'Section heading' for a new topic and 'Sub-heading' inside one.",
    )

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
        description = "A heading that starts a new section of the page."


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, help_text="A short title for the highlighted box.")
    text = blocks.RichTextBlock(
        features=["bold", "italic", "link", "document-link", "ol", "ul"],
        help_text="What readers should notice. A few sentences at most.",
    )

    class Meta:
        icon = "warning"
        template = "blocks/callout_block.html"
        description = "A highlighted box for a key message or announcement."


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=600, help_text="The words quoted, without quote marks.")
    attribution = blocks.CharBlock(
        required=False, max_length=120, help_text="Who said it, for example their name and role."
    )

    class Meta:
        icon = "openquote"
        template = "blocks/quote_block.html"
        description = "A quotation with the name of the person who said it."


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(help_text="Choose or upload an image.")
    alt_text = blocks.CharBlock(
        required=False,
        max_length=250,
        help_text=(
            "Describe the image for people who cannot see it. Leave empty only if the image "
            "is purely decorative."
        ),
    )
    caption = blocks.CharBlock(
        required=False, max_length=250, help_text="Optional caption shown under the image."
    )

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"
        description = "An image with a description for screen readers and an optional caption."


class BodyStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=["h3", "bold", "italic", "link", "document-link", "ol", "ul"],
        icon="pilcrow",
        template="blocks/paragraph_block.html",
        help_text="Ordinary text. Use the toolbar for bold, lists and links.",
        description="A block of text with simple formatting and links.",
    )
    callout = CalloutBlock()
    quote = QuoteBlock()
    image = ImageBlock()


class KeyFigureBlock(blocks.StructBlock):
    figure = blocks.CharBlock(
        max_length=20, help_text='The number itself, as it should appear: "800" or "< 10%".'
    )
    label = blocks.CharBlock(
        max_length=160, help_text='What the number means, e.g. "patients eligible each year".'
    )


class KeyFiguresBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        required=False, max_length=120, help_text="Optional heading above the figures."
    )
    figures = blocks.ListBlock(
        KeyFigureBlock(), min_num=1, max_num=4, help_text="Between one and four figures."
    )

    class Meta:
        icon = "table"
        template = "blocks/key_figures_block.html"
        description = "Up to four headline numbers shown side by side, each with a short label."


class FocusGroupStreamBlock(BodyStreamBlock):
    key_figures = KeyFiguresBlock()
