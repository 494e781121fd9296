"""The device sizes editors preview pages at, for every page type."""

PHONE_WIDTH = 375  # the narrowest phone the site is checked at (tests/browser)
DESKTOP_WIDTH = 1280

PREVIEW_SIZES = [
    {
        "name": "mobile",
        "icon": "mobile-alt",
        "device_width": PHONE_WIDTH,
        "label": f"Preview on a phone ({PHONE_WIDTH} px wide)",
    },
    {
        "name": "desktop",
        "icon": "desktop",
        "device_width": DESKTOP_WIDTH,
        "label": f"Preview on a desktop screen ({DESKTOP_WIDTH} px wide)",
    },
]


class DevicePreviewSizes:
    """Put before Page in a page model's bases: the preview panel offers a phone and a desktop
    screen, the two sizes visitors use most, and opens on the phone (it fits the side panel)."""

    preview_sizes = PREVIEW_SIZES
    default_preview_size = "mobile"
