"""Client actions returned by buttons."""

CLOSE_WINDOW = {"type": "ir.actions.act_window_close"}


def notification(title, message, kind="success", next_action=None, **params):
    """A ``display_notification`` client action: ``kind`` is its type
    (success, warning, danger, info), ``next_action`` what runs after it,
    ``params`` more of its parameters."""
    params = {"title": title, "message": message, "type": kind, **params}
    if next_action:
        params["next"] = dict(next_action)
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": params,
    }
