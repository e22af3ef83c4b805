"""The CSV spellings of a schedule: daily, weekly, weekly:mon, monthly, monthly:1."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def format_spelling(frequency, weekday=None, monthday=None):
    """daily / weekly / weekly:mon / monthly / monthly:1."""
    if frequency == "weekly" and weekday is not None:
        return f"weekly:{WEEKDAYS[weekday]}"
    if frequency == "monthly" and monthday is not None:
        return f"monthly:{monthday}"
    return frequency


def parse_spelling(text):
    """(frequency, weekday, monthday) from a spelling; ValueError with the reason if bad."""
    text = (text or "").strip().lower()
    head, _, tail = text.partition(":")
    if head == "daily" and not tail:
        return "daily", None, None
    if head == "weekly":
        if not tail:
            return "weekly", None, None
        if tail in WEEKDAYS:
            return "weekly", WEEKDAYS.index(tail), None
    if head == "monthly":
        if not tail:
            return "monthly", None, None
        if tail.isdigit() and 1 <= int(tail) <= 31:
            return "monthly", None, int(tail)
    raise ValueError(text)
