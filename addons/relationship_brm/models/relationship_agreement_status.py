from odoo import models
from odoo.exceptions import AccessError

from odoo.addons.relationship_mgmt.engine.signals import RELATIONSHIP_USER_GROUP
from odoo.addons.relationship_mgmt.tools import rpc
from odoo.addons.relationship_mgmt.tools.rpc import iso


class RelationshipAgreement(models.Model):
    """The obligation status of agreements for other systems (XML-RPC,
    JSON-RPC): another ``_inherit`` of the agreement in its own file."""

    _inherit = "relationship.agreement"

    @rpc.ids_first(lambda env: env._("agreement ids"))
    def obligation_status(self):
        """The obligations of these agreements with their last measured
        period, as plain JSON-able data (refresh them first with
        ``relationship.agreement.obligation.refresh_obligations``).

        :return: a list of dicts, one per agreement, in the order of the ids:
                 ``{"id", "reference", "name", "type", "state", "date_start",
                 "date_end", "obligations": [...]}``
        """
        agreements = self._agreement_status_records()
        obligations = agreements._agreement_obligation_rows()
        return [
            dict(
                agreement._agreement_summary_row(),
                obligations=obligations.get(agreement.id, []),
            )
            for agreement in agreements
        ]

    def _agreement_status_records(self):
        """These agreements, once checked for the caller: a Relationships
        user, known ids, readable (their company's record rule)."""
        if not self.env.user.has_group(RELATIONSHIP_USER_GROUP):
            raise AccessError(
                self.env._("Only Relationships users may read agreements.")
            )
        agreements = rpc.checked_records(
            self.env, self._name, list(self._ids), self.env._("agreement ids")
        )
        agreements.check_access("read")
        return agreements

    def _agreement_summary_row(self):
        self.ensure_one()
        return {
            "id": self.id,
            "reference": self.reference,
            "name": self.name,
            "type": self.agreement_type,
            "state": self.state,
            "partner_id": self.partner_id.id,
            "date_start": iso(self.date_start),
            "date_end": iso(self.date_end),
        }

    def _agreement_obligation_rows(self):
        """``{agreement id: [obligation dicts]}``: each obligation of these
        agreements with its last measured period (False before the first
        measure). Three queries for the whole recordset."""
        obligations = self.obligation_ids
        Period = self.env["relationship.obligation.period"]
        last_dates = {
            obligation.id: date_from
            for obligation, date_from in Period._read_group(
                [("obligation_id", "in", obligations.ids)],
                ["obligation_id"],
                ["date_from:max"],
            )
        }
        periods = Period.search(
            [
                ("obligation_id", "in", list(last_dates)),
                ("date_from", "in", list(set(last_dates.values()))),
            ]
        )
        last_periods = {
            period.obligation_id.id: period
            for period in periods
            if last_dates[period.obligation_id.id] == period.date_from
        }
        result = {agreement.id: [] for agreement in self}
        for obligation in obligations:
            period = last_periods.get(obligation.id)
            result[obligation.agreement_id.id].append(
                {
                    "id": obligation.id,
                    "name": obligation.name,
                    "kind": obligation.kind,
                    "period": obligation.period,
                    "target": obligation.target,
                    "actual": period.actual
                    if period and period.status != "no_data"
                    else False,
                    "status": period.status if period else False,
                    "date_from": iso(period.date_from) if period else False,
                    "date_to": iso(period.date_to) if period else False,
                    "is_open": period.is_open if period else False,
                    "date_measured": iso(obligation.date_measured),
                }
            )
        return result
