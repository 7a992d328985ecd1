from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tests.test_access_matrix import (
    MANAGER,
    PORTAL,
    USER,
    AccessMatrixMixin,
    access_file_models,
    module_models,
)

from .common import TODAY, BrmCommon, day

# What each kind of user may do on each model of the addon ("r"ead, "w"rite,
# "c"reate, "u"nlink) on the records of their own company (see
# relationship_mgmt's test_access_matrix); a group not named may do nothing.
# Every model of security/ir.model.access.csv needs an entry.
MATRIX = {
    "relationship.partner.type": {USER: "r", MANAGER: "rwcu"},
    "relationship.agreement": {USER: "r", MANAGER: "rwcu"},
    "relationship.agreement.round": {USER: "r", MANAGER: "rwcu"},
    "relationship.agreement.price": {USER: "r", MANAGER: "rwcu"},
    "relationship.agreement.obligation": {USER: "r", MANAGER: "rwcu"},
    "relationship.obligation.period": {USER: "r", MANAGER: "ru"},
    "relationship.trust.snapshot": {USER: "r", MANAGER: "ru"},
    "relationship.agreement.terminate": {MANAGER: "rwcu"},
    "relationship.dispute": {USER: "rwc", MANAGER: "rwcu", PORTAL: "r"},
    "relationship.dispute.stage": {USER: "r", MANAGER: "rwcu", PORTAL: "r"},
    "relationship.dispute.sla": {USER: "r", MANAGER: "rwcu"},
    "relationship.dispute.discount": {USER: "r", MANAGER: "rwcu"},
    "relationship.dispute.resolve": {USER: "rwc", MANAGER: "rwcu"},
    "relationship.dispute.resolve.line": {USER: "rwc", MANAGER: "rwcu"},
}
# Checked at model level only: wizards, and the dispute models (their
# records, and the portal's access to its own disputes, are covered by the
# dispute tests).
MODEL_LEVEL_ONLY = {
    "relationship.agreement.terminate",
    "relationship.dispute",
    "relationship.dispute.stage",
    "relationship.dispute.sla",
    "relationship.dispute.discount",
    "relationship.dispute.resolve",
    "relationship.dispute.resolve.line",
}


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBrmAccessMatrix(AccessMatrixMixin, BrmCommon):
    matrix = MATRIX

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Matrix Company")["company"]
        cls.users = cls._matrix_users("brm")
        own = cls._records_of(cls.env.company)
        other = cls._records_of(cls.company_2)
        cls.records = {
            model: {"own": record, "other": other[model]}
            for model, record in own.items()
        }
        # Shared by every company: no "other company" record.
        cls.records["relationship.partner.type"] = {
            "own": cls.env["relationship.partner.type"].search([], limit=1)
        }

    @classmethod
    def _records_of(cls, company):
        """One record of ``company`` per model, made as superuser."""
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=company.ids))
        agreement = cls._agreement(
            cls.customer.with_env(env), company_id=company.id
        ).with_env(env)
        obligation = cls._obligation(agreement, "on_time_delivery", 95.0)
        order = cls._sale(cls.customer, day("2026-05-01"), company=company)
        cls._deliver(order.picking_ids, day("2026-05-10"), day("2026-05-14"))
        env["relationship.agreement.obligation"].refresh_obligations(agreement.ids)
        env["relationship.trust.snapshot"]._recompute_company(company, cls.customer.ids)
        negotiated = cls._agreement(
            cls.vendor, agreement_type="purchase", company_id=company.id, activate=False
        )
        round_ = env["relationship.agreement.round"].create(
            {"agreement_id": negotiated.id, "proposed_by": "us", "amount": 100.0}
        )
        records = {
            "relationship.agreement": agreement,
            "relationship.agreement.round": round_,
            "relationship.agreement.price": env["relationship.agreement.price"].create(
                {
                    "agreement_id": agreement.id,
                    "product_id": cls.goods.id,
                    "price_unit": 9.0,
                }
            ),
            "relationship.agreement.obligation": obligation,
            "relationship.obligation.period": obligation.period_ids[:1],
            "relationship.trust.snapshot": env["relationship.trust.snapshot"].search(
                [("company_id", "=", company.id)], limit=1
            ),
        }
        for model, record in records.items():
            assert record, f"no {model} record for {company.name}"
        return {model: record.with_env(cls.env) for model, record in records.items()}

    def test_matrix_covers_every_model_of_the_access_file(self):
        models = access_file_models(self.env, "relationship_brm")
        self.assertEqual(set(self.matrix), models)
        own_models = module_models(self.env, "relationship_brm") - module_models(
            self.env, "relationship_mgmt"
        )
        self.assertLessEqual(
            own_models, models, "a model of the addon without access rows"
        )

    def test_model_level_rights_of_each_group(self):
        self._check_model_level()

    def test_record_level_rights_own_and_other_company(self):
        checked = self._check_record_level()
        self.assertEqual(set(self.matrix) - checked, MODEL_LEVEL_ONLY)

    def test_salesperson_reads_nothing_of_business_relationships(self):
        salesman = self.users["salesman"]
        for model in self.matrix:
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(salesman).has_access("read"))
