"""Blocks for the flexible body of a focus group page."""

from wagtail import blocks

from home.blocks import BodyStreamBlock


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
