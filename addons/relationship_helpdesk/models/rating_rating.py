from odoo import api, models


class RatingRating(models.Model):
    """A customer's rating of a helpdesk ticket (helpdesk_mgmt_rating) is a
    satisfaction response as soon as it is given, not at the next import run:
    the satisfaction component of the engagement reads it from there."""

    _inherit = "rating.rating"

    @api.model_create_multi
    def create(self, vals_list):
        ratings = super().create(vals_list)
        ratings._relationship_record_ticket_ratings()
        return ratings

    def write(self, vals):
        result = super().write(vals)
        if {"consumed", "rating"} & vals.keys():
            self._relationship_record_ticket_ratings()
        return result

    def _relationship_record_ticket_ratings(self):
        ratings = self.filtered(
            lambda r: r.res_model == "helpdesk.ticket" and r.consumed and r.rating >= 1
        )
        if ratings:
            # sudo: the response copies the customer's own rating; the
            # customer (a portal user or the public rating page) gives it.
            self.env["relationship.satisfaction"].sudo()._import_ratings(ratings)
