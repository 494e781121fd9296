"""Making exported values safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) is taken as a formula by Excel,
LibreOffice and Google Sheets, so a registrant could plant one in their answers ("formula
injection"). Such values are exported with a leading apostrophe, which spreadsheets show as
plain text.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
