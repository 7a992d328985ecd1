"""Counts in words, translated: "today", "1 day ago", "3 days ago",
"1 day", "2 days". Every reason or message that tells a number of days goes
through here, so that no screen says "0 days ago" or "1 days"; counted
nouns choose between their two translated forms with ``plural``."""


def plural(count, one, other):
    """``one`` (the translated text for a single item) when ``count`` is 1,
    else ``other`` (the translated text with the count)."""
    return one if count == 1 else other


def days_ago(env, days):
    """How long ago, in words: "today", "1 day ago", "%(days)s days ago"."""
    if not days:
        return env._("today")
    return plural(days, env._("1 day ago"), env._("%(days)s days ago", days=days))


def days_count(env, days):
    """A number of days in words: "1 day", "%(days)s days"."""
    return plural(days, env._("1 day"), env._("%(days)s days", days=days))


def months_count(env, months):
    """A number of months in words: "1 month", "%(months)s months"."""
    return plural(months, env._("1 month"), env._("%(months)s months", months=months))
