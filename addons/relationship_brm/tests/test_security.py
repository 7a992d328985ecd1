from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSecurity(BrmCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Second Company")["company"]
        cls.agreement = cls._agreement(cls.customer)
        cls.obligation = cls._obligation(cls.agreement, "min_volume", 100.0)
        cls.other = cls._agreement(cls.customer, company_id=cls.company_2.id)
        cls.other_obligation = cls._obligation(cls.other, "min_volume", 100.0)
        cls.salesman = new_test_user(
            cls.env,
            login="brm_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )
        cls.manager_both = new_test_user(
            cls.env,
            login="brm_manager_both",
            groups="base.group_user,relationship_mgmt.group_relationship_manager",
            company_id=cls.env.company.id,
            company_ids=[Command.set((cls.env.company + cls.company_2).ids)],
        )

    def test_user_reads_the_agreements_of_their_company_only(self):
        Agreement = self.Agreement.with_user(self.user_relationship)
        self.assertEqual(
            Agreement.search([("partner_id", "=", self.customer.id)]), self.agreement
        )
        self.assertEqual(Agreement.browse(self.agreement.id).name, self.agreement.name)
        with self.assertRaises(AccessError):
            Agreement.browse(self.other.id).read(["name"])
        with self.assertRaises(AccessError):
            self.Obligation.with_user(self.user_relationship).browse(
                self.other_obligation.id
            ).read(["target"])

    def test_user_cannot_change_agreements_or_settings(self):
        agreement = self.agreement.with_user(self.user_relationship)
        with self.assertRaises(AccessError):
            agreement.write({"amount_committed": 1.0})
        with self.assertRaises(AccessError):
            agreement.action_terminate(reason="No")
        with self.assertRaises(AccessError):
            self.Agreement.with_user(self.user_relationship).create(
                {"name": "Mine", "partner_id": self.customer.id}
            )
        with self.assertRaises(AccessError):
            self.obligation.with_user(self.user_relationship).target = 1.0
        with self.assertRaises(AccessError):
            self.env.ref(
                "relationship_brm.relationship_partner_type_customer"
            ).with_user(self.user_relationship).name = "Client"
        self.assertEqual(self.agreement.state, "active")
        self.assertEqual(self.obligation.target, 100.0)
        # Discussing is allowed.
        agreement.message_post(body="Renewal to discuss", message_type="comment")

    def test_user_measures_what_they_read_but_not_everything(self):
        Obligation = self.Obligation.with_user(self.user_relationship)
        result = Obligation.refresh_obligations([self.agreement.id])
        self.assertEqual(result["agreements"], 1)
        self.assertEqual(self.obligation.period_count, 6)
        self.assertEqual(
            self.Period.with_user(self.user_relationship).search_count([]), 6
        )
        with self.assertRefused(AccessError, "managers"):
            Obligation.refresh_obligations(None)
        with self.assertRaises(AccessError):
            Obligation.refresh_obligations([self.other.id])

    def test_manager_edits_and_runs_the_lifecycle(self):
        agreement = self.Agreement.with_user(self.user_manager).create(
            {
                "name": "Framework",
                "partner_id": self.customer.id,
                "agreement_type": "framework",
                "date_start": day("2026-06-01"),
            }
        )
        agreement.amount_committed = 5000.0
        agreement.action_activate()
        self.assertEqual(agreement.state, "active")
        agreement.obligation_ids = [
            Command.create({"kind": "max_volume", "target": 10000.0})
        ]
        agreement.action_terminate(reason="Replaced")
        self.assertEqual(agreement.state, "terminated")
        self.assertTrue(
            self.Obligation.with_user(self.user_manager).refresh_obligations(None)
        )

    def test_plain_user_sees_nothing_but_their_orders_get_the_agreement(self):
        with self.assertRaises(AccessError):
            self.Agreement.with_user(self.user_plain).search([])
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create({"partner_id": self.customer.id})
        )
        self.assertEqual(order.sudo().agreement_id, self.agreement)
        self.assertNotIn("agreement_id", order.with_user(self.salesman).fields_get())
        order.write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.goods.id,
                            "product_uom_qty": 1.0,
                            "price_unit": 10.0,
                        }
                    )
                ]
            }
        )
        order.action_confirm()
        self._deliver(order.sudo().picking_ids, TODAY, done_on=TODAY)
        invoice = order._create_invoices()
        self.assertEqual(invoice.sudo().agreement_id, self.agreement)

    def test_multi_company_isolation_of_measures_and_trust(self):
        self._sale(self.customer, day("2026-05-04"), lines=((1.0, 500.0),))
        self._sale(
            self.customer,
            day("2026-05-05"),
            lines=((1.0, 50.0),),
            company=self.company_2,
        )
        self.Obligation.refresh_obligations([self.agreement.id])
        self.assertFalse(self.other_obligation.period_ids)
        self.Obligation.with_company(self.company_2).refresh_obligations(
            [self.other.id]
        )
        may = day("2026-05-01")
        self.assertEqual(self._periods(self.obligation)[may].actual, 500.0)
        self.assertEqual(self._periods(self.other_obligation)[may].actual, 50.0)
        result = (
            self.Snapshot.with_user(self.manager_both)
            .with_context(allowed_company_ids=[self.env.company.id])
            .recompute_trust([self.customer.id])
        )
        self.assertEqual(result["companies"], 1)
        self.assertEqual(
            self.Snapshot.search([("partner_id", "=", self.customer.id)]).company_id,
            self.env.company,
        )
        self.Snapshot.with_user(self.manager_both).with_context(
            allowed_company_ids=[self.company_2.id, self.env.company.id]
        ).recompute_trust([self.customer.id])
        snapshots = self.Snapshot.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(snapshots.company_id, self.env.company + self.company_2)
        customer = self.customer.with_user(self.manager_both)
        self.assertEqual(
            customer.with_company(self.company_2).trust_snapshot_id.company_id,
            self.company_2,
        )
        self.assertEqual(
            self.Snapshot.with_user(self.user_relationship)
            .search([("partner_id", "=", self.customer.id)])
            .company_id,
            self.env.company,
        )

    def test_bad_agreement_ids_are_refused(self):
        with self.assertRefused(UserError, "list of integers"):
            self.Obligation.refresh_obligations([self.agreement.id, "x"])
        with self.assertRefused(UserError, "Unknown agreement ids: 999999999"):
            self.Obligation.refresh_obligations([999999999])
