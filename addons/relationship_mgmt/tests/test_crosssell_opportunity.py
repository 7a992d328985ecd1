from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY
from .test_crosssell import CrosssellCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCrosssellOpportunities(CrosssellCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Affinity._refresh_company(cls.env.company)
        cls.Wizard = cls.env["relationship.crosssell.wizard"]
        cls.Lead = cls.env["crm.lead"].with_context(active_test=False)

    def _generate(self, partners, user=None, **values):
        wizard = self.Wizard.with_user(user or self.user_manager).create(
            {"partner_ids": [(6, 0, partners.ids)], **values}
        )
        return wizard.generate_opportunities()

    def _crosssell_leads(self, partner=None):
        domain = [("crosssell_product_id", "!=", False)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.Lead.search(domain)

    def test_manager_generates_tagged_opportunities_for_the_salesperson(self):
        result = self._generate(self.c1 | self.c3)

        leads = self._crosssell_leads()
        self.assertEqual(sorted(result["lead_ids"]), sorted(leads.ids))
        self.assertEqual(len(leads), 2)
        lead = self._crosssell_leads(self.c1)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.crosssell_product_id, self.product_c)
        self.assertEqual(lead.crosssell_source_product_id, self.product_a)
        self.assertEqual(lead.user_id, self.salesperson)
        self.assertEqual(lead.company_id, self.env.company)
        self.assertEqual(
            lead.tag_ids, self.env.ref("relationship_mgmt.crm_tag_crosssell")
        )
        # c1's two confirmed orders: 200 and 100 untaxed.
        self.assertAlmostEqual(lead.expected_revenue, 150.0)
        self.assertIn("Bought by 33%", lead.description)
        recommendation = lead.crosssell_recommendation_id
        self.assertEqual(recommendation.state, "opportunity")
        self.assertEqual(recommendation.lead_id, lead)

    def test_running_twice_or_with_an_open_lead_creates_no_duplicate(self):
        self.env["crm.lead"].create(
            {
                "name": "Already talking about A",
                "type": "opportunity",
                "partner_id": self.c4.id,
                "crosssell_product_id": self.product_a.id,
            }
        )
        first = self._generate(self.c1 | self.c3 | self.c4)
        self.assertEqual(len(first["lead_ids"]), 2)
        self.assertEqual(first["skipped"], 1)

        # Mined again: followed-up products do not come back as open ones.
        self.Affinity._refresh_company(self.env.company)
        second = self._generate(self.c1 | self.c3 | self.c4)

        self.assertFalse(second["lead_ids"])
        self.assertEqual(second["skipped"], 3)
        self.assertEqual(len(self._crosssell_leads(self.c1)), 1)
        self.assertEqual(len(self._crosssell_leads(self.c4)), 1)

    def test_a_closed_opportunity_frees_the_slot_for_the_next_product(self):
        self.env.company.crosssell_min_lift = 0.5  # B -> D for c1 as well
        self.Affinity._refresh_company(self.env.company)
        self.assertEqual(self._recommended(self.c1), self.product_c | self.product_d)
        first = self._generate(self.c1)
        lead = self.Lead.browse(first["lead_ids"])
        self.assertEqual(lead.crosssell_product_id, self.product_c)  # tie: first id
        self.assertFalse(self._generate(self.c1)["lead_ids"], "C still open")

        lead.action_set_lost()
        again = self._generate(self.c1)

        self.assertEqual(
            self.Lead.browse(again["lead_ids"]).crosssell_product_id, self.product_d
        )

    def test_segment_target_and_top_count(self):
        # sudo: engagement rows are computed; set the segments by hand here.
        Engagement = self.env["relationship.engagement"].sudo()
        company = self.env.company
        Engagement.search([("company_id", "=", company.id)]).rfm_segment = "loyal"
        for partner in (self.c1, self.c2):
            row = Engagement.search(
                [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
            ) or Engagement.create({"partner_id": partner.id, "company_id": company.id})
            row.rfm_segment = "champions"
        result = self._generate(
            self.env["res.partner"], target="segment", rfm_segment="champions"
        )
        self.assertEqual(self._crosssell_leads().partner_id, self.c1 | self.c2, result)
        with self.assertRaises(ValidationError):
            self._generate(self.c1, top_count=0)

    def test_won_and_lost_are_counted_per_rule(self):
        self._generate(self.c1 | self.c2 | self.c3)
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self._crosssell_leads(self.c1).stage_id = won_stage
        self._crosssell_leads(self.c3).action_set_lost()

        a_c = self._rule(self.product_a, self.product_c)
        a_b = self._rule(self.product_a, self.product_b)
        self.assertEqual((a_c.lead_count, a_c.won_count, a_c.lost_count), (2, 1, 0))
        self.assertAlmostEqual(a_c.conversion_rate, 100.0)
        self.assertEqual((a_b.lead_count, a_b.won_count, a_b.lost_count), (1, 0, 1))
        self.assertAlmostEqual(a_b.conversion_rate, 0.0)
        # The counts follow the product pair across a new mining run.
        self.Affinity._refresh_company(self.env.company)
        a_c = self._rule(self.product_a, self.product_c)
        self.assertEqual((a_c.won_count, a_c.lost_count), (1, 0))
        # A user sees them without Sales rights.
        user_rule = a_c.with_user(self.user_relationship)
        self.assertEqual(user_rule.won_count, 1)

    def test_users_cannot_generate(self):
        with self.assertRaises(AccessError):
            self._generate(self.c1, user=self.user_relationship)
        with self.assertRaises(AccessError):
            self._generate(self.c1, user=self.user_plain)
        self.assertFalse(self._crosssell_leads())

    def test_started_from_recommendations_acts_on_exactly_those(self):
        chosen = self.Recommendation.search(
            [("partner_id", "in", (self.c1 | self.c4).ids)]
        )
        action = chosen.with_user(self.user_manager).action_generate_opportunities()
        wizard_form = Form(
            self.Wizard.with_user(self.user_manager).with_context(**action["context"])
        )
        self.assertEqual(wizard_form.partner_ids[:], self.c1 | self.c4)
        wizard = wizard_form.save()
        self.assertEqual(wizard.recommendation_ids, chosen)

        wizard.action_generate()

        self.assertEqual(self._crosssell_leads().partner_id, self.c1 | self.c4)
        self.assertEqual(set(chosen.mapped("state")), {"opportunity"})

    def test_cron_and_views(self):
        self.Affinity._cron_refresh_all()
        self.assertEqual(self._recommended(self.c1), self.product_c)
        for model, field in (
            ("sale.order", "crosssell_recommendation_ids"),
            ("res.partner", "crosssell_recommendation_count"),
            ("relationship.product.affinity", "lift"),
            ("relationship.recommendation", "reason"),
        ):
            with self.subTest(model=model):
                arch = self.env[model].get_views([(False, "form")])["views"]["form"]
                self.assertIn(field, arch["arch"])
