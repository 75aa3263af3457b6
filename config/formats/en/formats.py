# English pages show dates the way the rest of the product's readers write them unambiguously: ISO dates,
# 24-hour times, a space between thousands (Django's en defaults are the American m/d/Y and 12-hour times).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATETIME_FORMAT = "j F Y, H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = "\u202f"
NUMBER_GROUPING = 3
