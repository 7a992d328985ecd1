from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .dispute_common import T0, DisputeCommon


@freeze_time(T0)
@tagged("post_install", "-at_install")
class TestDisputeSecurity(DisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Dispute Second Company")[
            "company"
        ]
        cls.mine = cls._dispute()
        cls.elsewhere = cls.Dispute.with_company(cls.company_2).create(
            {
                "name": "Dispute of the other company",
                "partner_id": cls.customer.id,
                "company_id": cls.company_2.id,
                "user_id": False,
            }
        )

    def test_user_creates_and_writes_but_cannot_delete(self):
        Dispute = self.Dispute.with_user(self.user_relationship)
        dispute = Dispute.create(
            {"name": "Short delivery", "partner_id": self.customer.id}
        )
        self.assertEqual(dispute.user_id, self.user_relationship)
        self.assertEqual(dispute.company_id, self.env.company)
        dispute.write({"priority": "2", "stage_id": self.stages["investigation"].id})
        self.assertEqual(dispute.sla_id.priority, "2")
        with self.assertRaises(AccessError):
            dispute.unlink()
        with self.assertRaises(AccessError):
            self.env["relationship.dispute.sla"].with_user(
                self.user_relationship
            ).create({"name": "Mine", "response_hours": 1.0, "resolution_hours": 2.0})
        with self.assertRaises(AccessError):
            self.stages["new"].with_user(self.user_relationship).name = "Fresh"
        dispute.with_user(self.user_manager).unlink()
        self.assertFalse(dispute.exists())

    def test_other_company_disputes_are_invisible(self):
        found = self.Dispute.with_user(self.user_relationship).search([])
        self.assertIn(self.mine, found)
        self.assertNotIn(self.elsewhere, found)
        with self.assertRaises(AccessError):
            self.elsewhere.with_user(self.user_relationship).read(["name"])
        both = new_test_user(
            self.env,
            login="brm_dispute_both",
            groups="base.group_user,relationship_mgmt.group_relationship_user",
            company_id=self.env.company.id,
            company_ids=[Command.set((self.env.company + self.company_2).ids)],
        )
        # Counted per company: the partner form counts the current one's.
        self.assertEqual(self.customer.with_user(both).dispute_open_count, 1)
        self.assertEqual(
            self.customer.with_user(both)
            .with_company(self.company_2)
            .dispute_open_count,
            1,
        )
        self.assertEqual(
            self.elsewhere.sla_id.company_id,
            self.company_2,
            "the new company got its own default policies",
        )

    def test_plain_user_has_no_access(self):
        with self.assertRaises(AccessError):
            self.Dispute.with_user(self.user_plain).search([])
        with self.assertRaises(AccessError):
            self.Dispute.with_user(self.user_plain).create(
                {"name": "Nope", "partner_id": self.customer.id}
            )
