from odoo import Command

from odoo.addons.relationship_brm.tests.common import TODAY, day
from odoo.addons.relationship_brm.tests.dispute_common import DisputeCommon

__all__ = ["TODAY", "HelpdeskCommon", "day"]


class HelpdeskCommon(DisputeCommon):
    """The dispute fixtures of relationship_brm plus a customer with history
    (a sale and a paid invoice: it is scored), a contact of it and the
    helpdesk stages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id = [
            Command.link(cls.env.ref("helpdesk_mgmt.group_helpdesk_manager").id)
        ]
        cls.Ticket = cls.env["helpdesk.ticket"]
        cls.Engagement = cls.env["relationship.engagement"]
        cls.stage_new = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.stage_progress = cls.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_in_progress"
        )
        cls.stage_done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Rita Retail",
                "parent_id": cls.customer.id,
                "email": "rita@retail.example.com",
            }
        )
        cls._sale(cls.customer, day("2026-04-01"))
        paid = cls._invoice(cls.customer, day("2026-04-01"), day("2026-05-01"))
        cls._pay_on(paid, day("2026-04-20"))

    @classmethod
    def _ticket(cls, partner=None, **values):
        return cls.env["helpdesk.ticket"].create(
            {
                "name": "Pallets arrived damaged",
                "description": "<p>Two of five pallets were broken.</p>",
                "partner_id": (partner or cls.contact).id,
                "stage_id": cls.stage_new.id,
                **values,
            }
        )

    def _engagement(self, partner=None):
        partner = partner or self.customer
        self.Engagement.recompute_engagement([partner.id])
        return self.Engagement.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)]
        )

    def _service_reason(self, engagement):
        return next(
            text
            for label, _value, text in engagement._engagement_reason_lines({"service"})
            if label == "Service"
        )
