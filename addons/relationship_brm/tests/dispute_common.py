from datetime import datetime

from odoo import Command
from odoo.tests import new_test_user

from .common import BrmCommon

# Disputes of the tests are opened at this moment (a Monday, 08:00 UTC).
T0 = datetime(2026, 6, 15, 8, 0, 0)


class DisputeCommon(BrmCommon):
    """Disputes on top of the BRM fixtures: the stages by kind, a sales team
    led by a manager (who gets the escalations), helpers opening disputes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dispute = cls.env["relationship.dispute"]
        cls.Sla = cls.env["relationship.dispute.sla"]
        cls.stages = {
            kind: cls.env.ref(f"relationship_brm.dispute_stage_{kind}")
            for kind in (
                "new",
                "investigation",
                "negotiation",
                "escalated",
                "resolved",
                "rejected",
            )
        }
        # Dispute owners work on the documents too: sales, purchase,
        # invoicing and inventory users.
        cls.user_relationship.groups_id = [
            Command.link(cls.env.ref(xmlid).id)
            for xmlid in (
                "sales_team.group_sale_salesman_all_leads",
                "purchase.group_purchase_user",
                "account.group_account_invoice",
                "stock.group_stock_user",
            )
        ]
        cls.team_leader = new_test_user(
            cls.env,
            login="brm_team_leader",
            groups="base.group_user,relationship_mgmt.group_relationship_manager",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Key Accounts",
                "user_id": cls.team_leader.id,
                "company_id": cls.env.company.id,
            }
        )

    @classmethod
    def _dispute(cls, partner=None, **values):
        return cls.env["relationship.dispute"].create(
            {
                "name": "Disputed delivery",
                "partner_id": (partner or cls.customer).id,
                "user_id": cls.user_relationship.id,
                "team_id": cls.team.id,
                **values,
            }
        )
