import csv
from contextlib import closing

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.modules.module import get_module_path
from odoo.tests import new_test_user, tagged

from .common import TODAY, RelationshipCommon

INTERNAL, SALESMAN, USER, MANAGER, PORTAL = (
    "internal",
    "salesman",
    "user",
    "manager",
    "portal",
)
GROUPS = {
    INTERNAL: "base.group_user",
    SALESMAN: "base.group_user,sales_team.group_sale_salesman",
    USER: "base.group_user,relationship_mgmt.group_relationship_user",
    MANAGER: "base.group_user,relationship_mgmt.group_relationship_manager",
    PORTAL: "base.group_portal",
}
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

# What each kind of user may do on each model of the addon ("r"ead,
# "w"rite, "c"reate, "u"nlink) on the records of their own company; a group
# not named may do nothing, and no one reaches another company's records.
# Every model of security/ir.model.access.csv must have an entry: a new model
# without one fails test_matrix_covers_every_model_of_the_access_file.
MATRIX = {
    "relationship.engagement": {SALESMAN: "r", USER: "r", MANAGER: "ru"},
    "relationship.engagement.snapshot": {USER: "r", MANAGER: "ru"},
    "relationship.interaction": {USER: "rwc", MANAGER: "rwcu"},
    "relationship.satisfaction": {USER: "rwc", MANAGER: "rwcu"},
    "relationship.analytics": {USER: "r", MANAGER: "ru"},
    "relationship.analytics.fit": {USER: "r", MANAGER: "rwcu"},
    "relationship.analytics.stage": {MANAGER: "r"},
    "relationship.engagement.stage": {MANAGER: "r"},
    "relationship.forecast.report": {USER: "r", MANAGER: "r"},
    "relationship.customer.month.report": {USER: "r", MANAGER: "r"},
    "relationship.conversion.report": {USER: "r", MANAGER: "r"},
    "relationship.activity.wizard": {MANAGER: "rwcu"},
    "relationship.program": {USER: "r", MANAGER: "rwcu"},
    "relationship.program.step": {USER: "r", MANAGER: "rwcu"},
    "relationship.program.enrolment": {USER: "r", MANAGER: "rwcu"},
    "relationship.program.enrolment.line": {USER: "r", MANAGER: "rwcu"},
    "relationship.program.enrol.wizard": {MANAGER: "rwcu"},
    "relationship.product.affinity": {USER: "r", MANAGER: "ru"},
    "relationship.recommendation": {USER: "r", MANAGER: "ru"},
    "relationship.crosssell.wizard": {MANAGER: "rwcu"},
    "relationship.event": {USER: "r", MANAGER: "ru"},
    "relationship.kpi.target": {USER: "r", MANAGER: "rwcu"},
    "relationship.kpi.measurement": {USER: "r", MANAGER: "rwcu"},
    "relationship.kpi.measure.wizard": {MANAGER: "rwcu"},
    "relationship.privacy.erase.wizard": {MANAGER: "rwcu"},
}


def access_file_models(env, module):
    """The models named by ``module``'s access file."""
    path = f"{get_module_path(module)}/security/ir.model.access.csv"
    with open(path, encoding="utf-8") as handle:
        xmlids = {row["model_id:id"] for row in csv.DictReader(handle)}
    return {
        env.ref(xmlid if "." in xmlid else f"{module}.{xmlid}").model
        for xmlid in xmlids
    }


def module_models(env, module):
    """The non-abstract ``relationship.*`` models ``module`` defines."""
    data = env["ir.model.data"].search(
        [("module", "=", module), ("model", "=", "ir.model")]
    )
    return {
        model.model
        for model in env["ir.model"].browse(data.mapped("res_id"))
        if model.model.startswith("relationship.")
        and model.model in env
        and not env[model.model]._abstract
    }


class AccessMatrixMixin:
    """Checks shared by the access matrices of both addons: ``cls.users``
    maps each kind of user to a user of the first company, ``cls.records``
    each model to ``{"own": record, "other": record of another company}``
    ("other" left out for models shared by all companies; models without
    records, wizards or SQL views without rows, are checked at model level
    only)."""

    matrix = {}

    @classmethod
    def _matrix_users(cls, prefix):
        return {
            kind: new_test_user(
                cls.env,
                login=f"{prefix}_matrix_{kind}",
                groups=groups,
                company_id=cls.env.company.id,
                company_ids=[Command.set(cls.env.company.ids)],
            )
            for kind, groups in GROUPS.items()
        }

    def _expected(self, model, kind, letter):
        return letter in self.matrix[model].get(kind, "")

    def _allowed(self, record, operation, method):
        """Run ``method`` in a savepoint that is always rolled back; whether
        the ORM let it through. A business refusal (UserError, e.g. "cancel
        the agreement before deleting it") says nothing about access rights:
        the ORM's access check of ``operation`` on the record then decides."""
        try:
            with closing(self.env.cr.savepoint()):
                method()
                self.env.flush_all()
        except AccessError:
            return False
        except UserError:
            return record.has_access(operation)
        finally:
            self.env.invalidate_all(flush=False)
        return True

    def _check_model_level(self):
        for model, rights in self.matrix.items():
            for kind, user in self.users.items():
                for letter, operation in OPERATIONS.items():
                    with self.subTest(model=model, user=kind, operation=operation):
                        self.assertEqual(
                            self.env[model].with_user(user).has_access(operation),
                            letter in rights.get(kind, ""),
                        )

    def _check_record_level(self):
        checked = set()
        for model, records in self.records.items():
            for kind, user in self.users.items():
                for company, record in records.items():
                    record = record.with_user(user)
                    expected = {
                        letter: company == "own" and self._expected(model, kind, letter)
                        for letter in OPERATIONS
                    }
                    outcome = {
                        "r": self._allowed(
                            record, "read", lambda r=record: r.read(["display_name"])
                        ),
                        "w": self._allowed(
                            record, "write", lambda r=record: r.write({})
                        ),
                        # create: the check the ORM makes on a created record
                        "c": record.has_access("create"),
                        "u": self._allowed(
                            record, "unlink", lambda r=record: r.unlink()
                        ),
                    }
                    with self.subTest(model=model, user=kind, company=company):
                        self.assertEqual(outcome, expected)
            checked.add(model)
        return checked


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessMatrixMixin, RelationshipCommon):
    matrix = MATRIX

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company(name="Matrix Company")["company"]
        cls.users = cls._matrix_users("rel")
        cls.customer = cls._customer("Matrix Customer", user_id=cls.users[SALESMAN].id)
        cls.records = {}
        own = cls._records_of(cls.env.company)
        other = cls._records_of(cls.company_2)
        for model in own:
            cls.records[model] = {"own": own[model], "other": other[model]}

    @classmethod
    def _records_of(cls, company):
        """One record of ``company`` per model that stores records, made as
        superuser (what a user may do with them is the point of the test)."""
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=company.ids))
        order = cls._order(cls.customer, 10, 300.0, company=company)
        cls._invoice(cls.customer, 10, 300.0, company=company)
        env["relationship.engagement"].sudo()._recompute_company(
            company, partner_ids=cls.customer.ids, create_new=True
        )
        engagement = (
            env["relationship.engagement"]
            .sudo()
            .search(
                [("company_id", "=", company.id), ("partner_id", "=", cls.customer.id)]
            )
        )
        program = (
            env["relationship.program"]
            .sudo()
            .create({"name": f"Program of {company.name}", "company_id": company.id})
        )
        step = (
            env["relationship.program.step"]
            .sudo()
            .create(
                {
                    "program_id": program.id,
                    "name": "Call",
                    "action": "activity",
                    "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                }
            )
        )
        enrolment = (
            env["relationship.program.enrolment"]
            .sudo()
            .create(
                {
                    "program_id": program.id,
                    "partner_id": cls.customer.id,
                    "company_id": company.id,
                    "trigger_ref": f"sale.order,{order.id}",
                }
            )
        )
        affinity = (
            env["relationship.product.affinity"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "kind": "product",
                    "product_a_id": cls.product.id,
                    "product_b_id": cls.product.id,
                }
            )
        )
        records = {
            "relationship.engagement": engagement,
            "relationship.engagement.snapshot": env["relationship.engagement.snapshot"]
            .sudo()
            .search([("company_id", "=", company.id)], limit=1),
            "relationship.interaction": env["relationship.interaction"]
            .sudo()
            .create(
                {
                    "name": "Visit",
                    "partner_id": cls.customer.id,
                    "company_id": company.id,
                }
            ),
            "relationship.satisfaction": env["relationship.satisfaction"]
            .sudo()
            .create(
                {"partner_id": cls.customer.id, "value": 4, "company_id": company.id}
            ),
            "relationship.analytics": env["relationship.analytics"]
            .sudo()
            .create({"partner_id": cls.customer.id, "company_id": company.id}),
            "relationship.analytics.fit": env["relationship.analytics.fit"]
            .sudo()
            .create({"company_id": company.id, "model_kind": "rule"}),
            "relationship.analytics.stage": env["relationship.analytics.stage"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "partner_id": cls.customer.id,
                    "date_run": fields.Datetime.now(),
                    "order_count": 1,
                }
            ),
            "relationship.engagement.stage": env["relationship.engagement.stage"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "partner_id": cls.customer.id,
                    "date_run": fields.Datetime.now(),
                    "order_count": 1,
                }
            ),
            "relationship.customer.month.report": env[
                "relationship.customer.month.report"
            ]
            .sudo()
            .search([("company_id", "=", company.id)], limit=1),
            "relationship.program": program,
            "relationship.program.step": step,
            "relationship.program.enrolment": enrolment,
            "relationship.program.enrolment.line": env[
                "relationship.program.enrolment.line"
            ]
            .sudo()
            .create(
                {
                    "enrolment_id": enrolment.id,
                    "step_id": step.id,
                    "date_due": fields.Date.to_date(TODAY),
                }
            ),
            "relationship.product.affinity": affinity,
            "relationship.recommendation": env["relationship.recommendation"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "partner_id": cls.customer.id,
                    "product_id": cls.product.id,
                    "affinity_id": affinity.id,
                }
            ),
            "relationship.event": env["relationship.event"]._emit(
                [
                    {
                        "event_type": "tier_changed",
                        "partner_id": cls.customer.id,
                        "company_id": company.id,
                    }
                ]
            ),
            "relationship.kpi.target": env["relationship.kpi.target"]
            .sudo()
            .create(
                {
                    "kpi": "retention_rate",
                    "value": 50.0,
                    "company_id": company.id,
                    "user_id": cls.env.user.id,
                }
            ),
            "relationship.kpi.measurement": env["relationship.kpi.measurement"]
            .sudo()
            ._measure(company, "month", TODAY)[:1],
        }
        for model, record in records.items():
            assert record, f"no {model} record for {company.name}"
        return {model: record.with_env(cls.env) for model, record in records.items()}

    def test_matrix_covers_every_model_of_the_access_file(self):
        models = access_file_models(self.env, "relationship_mgmt")
        self.assertEqual(set(self.matrix), models)
        self.assertLessEqual(
            module_models(self.env, "relationship_mgmt"),
            models,
            "a model of the addon without access rows",
        )

    def test_model_level_rights_of_each_group(self):
        self._check_model_level()

    def test_record_level_rights_own_and_other_company(self):
        checked = self._check_record_level()
        # Every stored model is checked on real records, except the SQL views
        # that hold no row for the fixture and the wizards.
        unchecked = {
            model
            for model in self.matrix
            if not self.env[model]._transient and model not in checked
        }
        self.assertEqual(
            unchecked,
            {"relationship.forecast.report", "relationship.conversion.report"},
        )

    def test_salesperson_reads_scores_of_own_customers_only(self):
        salesman = self.users[SALESMAN]
        stranger = self._customer("Someone Else's Customer")
        self._order(stranger, 5, 100.0)
        self._recompute(stranger)
        Engagement = self.Engagement.with_user(salesman)

        visible = Engagement.search([])

        self.assertEqual(visible.partner_id, self.customer)
        self.assertEqual(
            visible.tier, self.records["relationship.engagement"]["own"].tier
        )
        self.assertEqual(
            self.customer.with_user(salesman).engagement_tier, visible.tier
        )
        self.assertFalse(stranger.with_user(salesman).engagement_tier)
        with self.assertRaises(AccessError):
            self._engagement(stranger).with_user(salesman).read(["score"])
        with self.assertRaises(AccessError):
            Engagement.recompute_engagement(self.customer.ids)

    def test_relationships_user_who_sells_still_sees_every_customer(self):
        user = self.users[USER]
        user.groups_id = [
            Command.link(self.env.ref("sales_team.group_sale_salesman").id)
        ]
        stranger = self._customer("Not Their Customer")
        self._order(stranger, 5, 100.0)
        self._recompute(stranger)

        visible = self.Engagement.with_user(user).search([])

        self.assertIn(self._engagement(stranger), visible)
        self.assertNotIn(self.records["relationship.engagement"]["other"], visible)
        self.assertEqual(visible.company_id, self.env.company)
