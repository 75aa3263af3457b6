# Django's Russian formats, but a day and month in the genitive ("5 декабря", not "5 Декабрь"), as in
# DATE_FORMAT. Every other format is Django's own.
MONTH_DAY_FORMAT = "j E"
