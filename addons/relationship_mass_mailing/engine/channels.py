"""A customer's best channel: the channel whose interactions (with an
outcome) are positive most often, in one company. One rule, one place: the
partner field's compute and its search both read ``best_channels()``."""

from odoo.tools import SQL


def best_channels(company_id, partner_filter):
    """A query of ``(partner_id, channel, total, positive)``: per commercial
    partner matching ``partner_filter`` (SQL on ``i.partner_id``), the channel
    with the highest share of positive outcomes among its interactions with
    an outcome (ties: more interactions, then the channel key), when at least
    one of them is positive. ``total`` is how many interactions it rests on."""
    return SQL(
        """
        SELECT partner_id, channel, total, positive FROM (
            SELECT i.partner_id, i.channel, COUNT(*) AS total,
                   COUNT(*) FILTER (WHERE i.outcome = 'positive') AS positive,
                   ROW_NUMBER() OVER (
                       PARTITION BY i.partner_id
                       ORDER BY COUNT(*) FILTER (WHERE i.outcome = 'positive')
                                    ::float / COUNT(*) DESC,
                                COUNT(*) DESC, i.channel
                   ) AS rank
              FROM relationship_interaction i
             WHERE i.company_id = %(company_id)s
               AND i.outcome IS NOT NULL
               AND %(partner_filter)s
             GROUP BY i.partner_id, i.channel
        ) ranked
         WHERE rank = 1 AND positive > 0
        """,
        company_id=company_id,
        partner_filter=partner_filter,
    )
