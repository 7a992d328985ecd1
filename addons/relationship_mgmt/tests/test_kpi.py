from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import TODAY, RelationshipCommon

MAY = date(2026, 5, 1)


def at(text):
    return datetime.fromisoformat(text)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestKpiMeasurement(RelationshipCommon):
    """May 2026 (closed on the frozen 15 June) constructed document by
    document: each KPI's numerator and denominator are counted by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Measurement = cls.env["relationship.kpi.measurement"]
        cls.Target = cls.env["relationship.kpi.target"]
        cls.company = cls.env.company
        cls.other_company = cls.setup_other_company(name="KPI Other")["company"]
        cls.env.user.company_ids = [Command.link(cls.other_company.id)]
        # A: April and May (retained, repeat); B: April only (churned);
        # C: May only, its first order, brought by an opportunity; D: January
        # and May (repeat, not in April).
        cls.a, cls.b, cls.c, cls.d = (
            cls._customer(name) for name in ("KPI A", "KPI B", "KPI C", "KPI D")
        )
        for partner, days_ago in (
            (cls.a, 66),  # 10 April
            (cls.a, 36),  # 10 May
            (cls.b, 60),  # 16 April
            (cls.c, 34),  # 12 May
            (cls.d, 156),  # 10 January
            (cls.d, 20),  # 26 May
        ):
            cls._order(partner, days_ago)
        cls._order(cls.b, 30, confirm=False)  # a quotation in May: not an order
        # Invoiced in May: A 300, B 200 - 50 refund, C 100.
        cls._invoice(cls.a, 40, 300.0)
        cls._invoice(cls.b, 38, 200.0)
        cls._invoice(cls.b, 25, 50.0, move_type="out_refund")
        cls._invoice(cls.c, 33, 100.0)
        cls._invoice(cls.a, 10, 999.0)  # June
        Analytics = cls.env["relationship.analytics"].sudo()
        Analytics.create(
            [
                {
                    "partner_id": cls.b.id,
                    "company_id": cls.company.id,
                    "order_count": 2,
                    "churn_risk": 80.0,
                },
                {
                    "partner_id": cls.a.id,
                    "company_id": cls.company.id,
                    "order_count": 3,
                    "churn_risk": 20.0,
                },
            ]
        )
        won = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        cls.leads = cls.env["crm.lead"].create(
            [
                {"name": "New deal", "type": "opportunity", "partner_id": cls.c.id},
                {"name": "Upsell", "type": "opportunity", "partner_id": cls.a.id},
                {"name": "Later", "type": "opportunity", "partner_id": cls.d.id},
            ]
        )
        cls.leads.write({"stage_id": won.id})
        cls.env.flush_all()
        # create_date and date_closed are set by the database's clock.
        for lead, created, closed in zip(
            cls.leads,
            ("2026-05-02", "2026-05-03", "2026-06-01"),
            ("2026-05-20", "2026-05-21", "2026-06-05"),
            strict=True,
        ):
            cls.env.cr.execute(
                "UPDATE crm_lead SET create_date = %s, date_closed = %s WHERE id = %s",
                (created, closed, lead.id),
            )
        Satisfaction = cls.env["relationship.satisfaction"]
        Satisfaction.create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "kind": kind,
                    "value": value,
                    "date": at(moment),
                }
                for partner, company, kind, value, moment in (
                    (cls.a, cls.company, "csat", 5, "2026-05-02 09:00:00"),
                    (cls.b, cls.company, "csat", 4, "2026-05-15 09:00:00"),
                    (cls.c, cls.company, "csat", 3, "2026-05-31 23:00:00"),
                    (cls.a, cls.company, "csat", 1, "2026-04-30 23:00:00"),
                    (cls.a, cls.other_company, "csat", 1, "2026-05-10 09:00:00"),
                    (cls.a, cls.company, "nps", 10, "2026-05-03 09:00:00"),
                    (cls.b, cls.company, "nps", 9, "2026-05-04 09:00:00"),
                    (cls.c, cls.company, "nps", 7, "2026-05-05 09:00:00"),
                    (cls.d, cls.company, "nps", 3, "2026-05-06 09:00:00"),
                )
            ]
        )
        cls.env["relationship.engagement.snapshot"].sudo().create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "date": day,
                    "tier": tier,
                }
                for partner, day, tier in (
                    (cls.a, date(2026, 5, 10), "steady"),
                    (cls.a, date(2026, 5, 30), "champion"),
                    (cls.b, date(2026, 4, 30), "dormant"),
                    (cls.b, date(2026, 6, 2), "at_risk"),
                    (cls.c, date(2026, 5, 15), "champion"),
                )
            ]
        )
        cls._programs()

    @classmethod
    def _programs(cls):
        """Three enrolments started in May (two done), one in June; four
        survey steps run in May (one answered)."""
        program = cls.env["relationship.program"].create(
            {
                "name": "KPI program",
                "trigger": "manual",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Call",
                            "action": "activity",
                            "activity_type_id": cls.env.ref(
                                "mail.mail_activity_data_call"
                            ).id,
                        }
                    )
                ],
            }
        )
        cls.enrolments = cls.env["relationship.program.enrolment"].create(
            [
                {
                    "program_id": program.id,
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "trigger_ref": "manual",
                }
                for partner in (cls.a, cls.b, cls.c, cls.d)
            ]
        )
        cls.env.flush_all()
        for enrolment, state, started in zip(
            cls.enrolments,
            ("done", "done", "running", "done"),
            ("2026-05-01 00:00:00", "2026-05-20", "2026-05-31 20:00:00", "2026-06-01"),
            strict=True,
        ):
            cls.env.cr.execute(
                "UPDATE relationship_program_enrolment SET state = %s, date_start = %s"
                " WHERE id = %s",
                (state, started, enrolment.id),
            )
        # The survey steps as the program runner leaves them (state done,
        # answered or not): written directly, the runner is tested elsewhere.
        lines = cls.env["relationship.program.enrolment.line"].create(
            [
                {
                    "enrolment_id": enrolment.id,
                    "step_id": program.step_ids.id,
                    "date_due": at("2026-05-01 00:00:00"),
                }
                for enrolment in cls.enrolments
            ]
        )
        cls.env.flush_all()
        for line, responded, done in zip(
            lines,
            (True, False, False, True),
            ("2026-05-05", "2026-05-06", "2026-05-07", "2026-06-02"),
            strict=True,
        ):
            cls.env.cr.execute(
                "UPDATE relationship_program_enrolment_line SET action = 'survey',"
                " state = 'done', is_responded = %s, date_done = %s WHERE id = %s",
                (responded, done, line.id),
            )
        cls.env.invalidate_all()

    def _measure(self, company=None, period_type="month", day=MAY, force=False):
        measurements = self.Measurement._measure(
            company or self.company, period_type, day, force=force
        )
        return {measurement.kpi: measurement for measurement in measurements}

    def assertMeasured(self, measurement, numerator, denominator, value):
        self.assertEqual(
            (measurement.numerator, measurement.denominator, measurement.value),
            (numerator, denominator, value),
            measurement.kpi,
        )

    # ---- Values ----

    def test_customer_kpis_count_the_constructed_month(self):
        kpis = self._measure()
        self.assertMeasured(kpis["retention_rate"], 1, 2, 50.0)
        self.assertEqual(kpis["retention_rate"].numerator_ids, [self.a.id])
        self.assertEqual(
            kpis["retention_rate"].denominator_ids, sorted([self.a.id, self.b.id])
        )
        self.assertMeasured(kpis["churn_rate"], 1, 2, 50.0)
        self.assertEqual(kpis["churn_rate"].numerator_ids, [self.b.id])
        self.assertMeasured(kpis["repeat_purchase_rate"], 2, 3, 66.6667)
        self.assertEqual(
            kpis["repeat_purchase_rate"].numerator_ids, sorted([self.a.id, self.d.id])
        )
        self.assertMeasured(kpis["conversion_rate"], 1, 2, 50.0)
        self.assertEqual(kpis["conversion_rate"].numerator_ids, self.leads[0].ids)
        self.assertEqual(kpis["conversion_rate"].denominator_ids, self.leads[:2].ids)
        # C's lead was created on 2 May, its first order came on 12 May.
        self.assertMeasured(kpis["days_to_first_order"], 10, 1, 10.0)

    def test_customer_kpis_count_what_customers_by_month_reports(self):
        kpis = self._measure()
        Report = self.env["relationship.customer.month.report"]

        def rows(month):
            return Report.search(
                [("company_id", "=", self.company.id), ("date", "=", month)]
            )

        def buyers(month):
            return sorted(rows(month).filtered("order_count").partner_id.ids)

        april, may = buyers(date(2026, 4, 1)), buyers(MAY)
        retention = kpis["retention_rate"]
        self.assertEqual(retention.denominator_ids, april)
        self.assertEqual(retention.numerator_ids, sorted(set(april) & set(may)))
        self.assertEqual(kpis["repeat_purchase_rate"].denominator_ids, may)
        self.assertEqual(
            kpis["revenue_at_risk"].denominator,
            sum(rows(MAY).mapped("invoiced_amount")),
        )

    def test_satisfaction_kpis_count_the_month_of_the_company(self):
        kpis = self._measure()
        # 5 + 4 + 3 over 3 (April's and the other company's answers left out)
        self.assertMeasured(kpis["csat_average"], 12, 3, 4.0)
        # promoters 10 and 9, passive 7, detractor 3: (2 - 1) / 4
        self.assertMeasured(kpis["nps"], 1, 4, 25.0)

    def test_tier_share_reads_the_last_snapshot_up_to_the_end_of_the_period(self):
        kpis = self._measure()
        self.assertMeasured(kpis["tier_share_champion"], 2, 3, 66.6667)
        self.assertMeasured(kpis["tier_share_dormant"], 1, 3, 33.3333)
        self.assertMeasured(kpis["tier_share_at_risk"], 0, 3, 0.0)

    def test_revenue_at_risk_is_the_revenue_of_high_risk_customers(self):
        kpis = self._measure()
        # B (risk 80): 200 - 50; everyone: 300 + 150 + 100
        self.assertMeasured(kpis["revenue_at_risk"], 150, 550, 150.0)
        self.assertEqual(kpis["revenue_at_risk"].numerator_ids, [self.b.id])

    def test_program_kpis_count_enrolments_and_surveys_of_the_month(self):
        kpis = self._measure()
        self.assertMeasured(kpis["program_completion_rate"], 2, 3, 66.6667)
        self.assertMeasured(kpis["program_response_rate"], 1, 3, 33.3333)

    def test_quarter_compares_with_the_previous_quarter(self):
        kpis = self._measure(period_type="quarter", day=date(2026, 4, 1))
        measurement = kpis["retention_rate"]
        self.assertEqual(
            (measurement.period, measurement.date_from, measurement.date_to),
            ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        )
        # Q1 buyers: D only, who ordered again in May.
        self.assertMeasured(measurement, 1, 1, 100.0)
        self.assertFalse(measurement.is_closed)

    def test_empty_period_has_no_data(self):
        kpis = self._measure(day=date(2025, 1, 1))
        self.assertEqual(kpis["csat_average"].status, "no_data")
        self.assertEqual(kpis["revenue_at_risk"].status, "no_target")
        self.assertEqual(kpis["revenue_at_risk"].value, 0.0)

    def test_click_through_opens_the_counted_documents(self):
        kpis = self._measure()
        measurement = kpis["retention_rate"]
        action = measurement.action_view_numerator()
        self.assertEqual(action["res_model"], "res.partner")
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.a)
        action = kpis["csat_average"].action_view_denominator()
        self.assertEqual(action["res_model"], "relationship.satisfaction")
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]).mapped("value"),
            [3, 4, 5],
        )

    # ---- Targets, status, alerts ----

    def _target(self, kpi, comparison, value, **values):
        return self.Target.create(
            {
                "kpi": kpi,
                "comparison": comparison,
                "value": value,
                "user_id": self.user_manager.id,
                **values,
            }
        )

    def _alerts(self, measurement):
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", measurement._name),
                ("res_id", "=", measurement.id),
            ]
        )
        events = self.env["relationship.event"].search(
            [
                ("event_type", "=", "kpi_off_target"),
                ("res_model", "=", measurement._name),
                ("res_id", "=", measurement.id),
            ]
        )
        return activities, events

    def test_status_against_targets(self):
        self._target("retention_rate", "at_least", 50.0)
        self._target("churn_rate", "at_most", 40.0)
        self._target("csat_average", "at_least", 4.5, period_type="quarter")
        kpis = self._measure()
        self.assertEqual(kpis["retention_rate"].status, "on_target")
        self.assertEqual(kpis["retention_rate"].target_value, 50.0)
        self.assertEqual(kpis["churn_rate"].status, "off_target")
        self.assertEqual(kpis["churn_rate"].comparison, "at_most")
        # The CSAT target is quarterly: the month has none.
        self.assertEqual(kpis["csat_average"].status, "no_target")
        quarter = self._measure(period_type="quarter", day=MAY)
        self.assertEqual(quarter["csat_average"].status, "off_target")

    def test_off_target_alerts_its_owner_once_per_period(self):
        self._target("churn_rate", "at_most", 40.0)
        kpis = self._measure()
        churn = kpis["churn_rate"]
        activities, events = self._alerts(churn)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.user_manager)
        self.assertEqual(len(events), 1)
        self.assertEqual(
            (events.company_id, events.old_value, events.new_value),
            (self.company, "40", "50"),
        )
        self.assertTrue(churn.alert_sent)
        # Measured again (forced, since May is closed): same row, no new alert.
        again = self._measure(force=True)["churn_rate"]
        self.assertEqual(again, churn)
        activities, events = self._alerts(churn)
        self.assertEqual((len(activities), len(events)), (1, 1))
        # On target, no alert.
        self.assertEqual(self._alerts(kpis["retention_rate"])[0].ids, [])

    def test_closed_period_is_kept_unless_forced(self):
        first = self._measure()["csat_average"]
        self.assertTrue(first.is_closed)
        self._target("csat_average", "at_least", 4.5)
        self.assertEqual(self._measure(), {})
        self.assertEqual(first.status, "no_target")
        forced = self._measure(force=True)["csat_average"]
        self.assertEqual(forced, first)
        self.assertEqual(forced.status, "off_target")

    def test_measuring_is_one_query_per_kpi(self):
        catalogue = self.Measurement._kpi_catalogue()
        self._measure(day=date(2026, 4, 1))
        self.env.flush_all()
        self.env.invalidate_all()
        # One query per KPI, plus a fixed few (closed periods, targets, the
        # upsert, reading back the statuses): none per customer or document.
        with self.assertQueryCount(len(catalogue) + 9):
            self._measure(day=date(2026, 3, 1))
        self.env.invalidate_all()
        with self.assertQueryCount(len(catalogue) + 9):
            self._measure(day=MAY)

    def test_backfill_wizard_measures_each_past_period(self):
        wizard = (
            self.env["relationship.kpi.measure.wizard"]
            .with_user(self.user_manager)
            .create(
                {
                    "period_type": "month",
                    "date_from": date(2026, 3, 10),
                    "date_to": date(2026, 5, 2),
                }
            )
        )
        action = wizard.action_measure()
        measurements = self.Measurement.search(action["domain"])
        self.assertEqual(
            sorted(set(measurements.mapped("period"))),
            ["2026-03", "2026-04", "2026-05"],
        )
        self.assertEqual(len(measurements), 3 * len(self.Measurement._kpi_catalogue()))
        wizard.date_from = date(2026, 6, 1)
        wizard.date_to = date(2026, 5, 1)
        with self.assertRaises(UserError):
            wizard.action_measure()

    def test_cron_measures_last_and_current_periods(self):
        self.Measurement.with_user(self.env.ref("base.user_root"))._cron_measure()
        periods = set(
            self.Measurement.search([("company_id", "=", self.company.id)]).mapped(
                "period"
            )
        )
        self.assertEqual(periods, {"2026-05", "2026-06", "2026-Q1", "2026-Q2"})

    # ---- Validation, access, companies ----

    def test_bad_targets_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "between 0 and 100, not 120"):
            self._target("retention_rate", "at_least", 120.0)
        with self.assertRaisesRegex(ValidationError, "between 1 and 5, not 0"):
            self._target("csat_average", "at_least", 0.0)
        with self.assertRaisesRegex(ValidationError, "not -1"):
            self._target("days_to_first_order", "at_most", -1.0)
        self._target("nps", "at_least", -20.0)
        with self.assertRaisesRegex(ValidationError, "already has the target"):
            self._target("nps", "at_least", 10.0)
        outsider = self.env["res.users"].create(
            {
                "name": "Elsewhere",
                "login": "kpi_elsewhere",
                "company_id": self.other_company.id,
                "company_ids": [Command.set(self.other_company.ids)],
            }
        )
        with self.assertRaisesRegex(ValidationError, "does not work in"):
            self._target("churn_rate", "at_most", 10.0, user_id=outsider.id)

    def _kpis(self):
        return self.Measurement._kpi_catalogue()

    def test_comparison_defaults_to_the_kpi_direction(self):
        target = self.Target.create({"kpi": "churn_rate", "value": 10.0})
        self.assertEqual(target.comparison, "at_most")
        target = self.Target.create({"kpi": "retention_rate", "value": 80.0})
        self.assertEqual(target.comparison, "at_least")

    def test_users_read_managers_set_targets_and_measure(self):
        self._measure()
        user = self.user_relationship
        self.assertTrue(self.Measurement.with_user(user).search([]))
        with self.assertRaises(AccessError):
            self.Target.with_user(user).create({"kpi": "nps", "value": 10.0})
        with self.assertRaises(AccessError):
            self.Measurement.with_user(user)._measure(self.company, "month", MAY)
        with self.assertRaises(AccessError):
            self.Measurement.with_user(self.user_plain).search([])
        manager = self.user_manager
        target = self.Target.with_user(manager).create({"kpi": "nps", "value": 10.0})
        self.assertEqual(target.user_id, manager)
        measured = self.Measurement.with_user(manager)._measure(
            self.company, "month", date(2026, 6, 1)
        )
        self.assertTrue(measured)
        # A manager does not measure a company they do not work in.
        with self.assertRaises(AccessError):
            self.Measurement.with_user(manager)._measure(
                self.other_company, "month", MAY
            )

    def test_companies_are_isolated(self):
        self._measure(company=self.company | self.other_company)
        other = self.Measurement.search(
            [("company_id", "=", self.other_company.id), ("kpi", "=", "csat_average")]
        )
        self.assertMeasured(other, 1, 1, 1.0)
        self.assertMeasured(
            self.Measurement.search(
                [
                    ("company_id", "=", self.other_company.id),
                    ("kpi", "=", "retention_rate"),
                ]
            ),
            0,
            0,
            0.0,
        )
        # The user of the main company sees its measurements only.
        visible = self.Measurement.with_user(self.user_relationship).search([])
        self.assertEqual(visible.company_id, self.company)

    def test_measuring_another_active_company_uses_its_targets(self):
        self.Target.with_company(self.other_company).create(
            {
                "kpi": "csat_average",
                "comparison": "at_least",
                "value": 4.0,
                "company_id": self.other_company.id,
            }
        )
        # The web client with only the main company active.
        Measurement = self.Measurement.with_context(
            allowed_company_ids=self.company.ids
        )
        measurements = Measurement._measure(self.other_company, "month", MAY)
        csat = measurements.filtered(lambda m: m.kpi == "csat_average")
        self.assertEqual((csat.value, csat.status), (1.0, "off_target"))
        self.assertEqual(len(self._alerts(csat)[1]), 1)
        # Reading it, like every public method, asks for the company to be
        # active (over XML-RPC all the user's companies are).
        with self.assertRaisesRegex(AccessError, "company you do not work in"):
            Measurement.kpi_status(self.other_company.id, "2026-05")
        rows = Measurement.with_context(
            allowed_company_ids=(self.company | self.other_company).ids
        ).kpi_status(self.other_company.id, "2026-05")
        self.assertEqual(
            [row["status"] for row in rows if row["kpi"] == "csat_average"],
            ["off_target"],
        )

    # ---- kpi_status ----

    def test_kpi_status_returns_plain_values(self):
        self._target("churn_rate", "at_most", 40.0)
        self._measure()
        rows = {
            row["kpi"]: row
            for row in self.Measurement.with_user(self.user_relationship).kpi_status(
                self.company.id, "2026-05"
            )
        }
        self.assertEqual(set(rows), set(self._kpis()))
        self.assertEqual(
            rows["churn_rate"],
            {
                "kpi": "churn_rate",
                "name": "Customer churn rate",
                "unit": "percent",
                "period": "2026-05",
                "status": "off_target",
                "value": 50.0,
                "numerator": 1.0,
                "denominator": 2.0,
                "target": 40.0,
                "comparison": "at_most",
                "is_closed": True,
                "measured_on": "2026-06-15T00:00:00",
            },
        )
        self.assertEqual(rows["csat_average"]["target"], False)
        quarter = self.Measurement.kpi_status(self.company.id, "2026-q2")
        self.assertEqual({row["status"] for row in quarter}, {"not_measured"})

    def test_kpi_status_refuses_bad_input_in_words(self):
        Measurement = self.Measurement.with_user(self.user_relationship)
        with self.assertRaisesRegex(UserError, "must be an integer, got 'abc'"):
            Measurement.kpi_status("abc", "2026-05")
        with self.assertRaisesRegex(UserError, "Unknown company ids: 999999"):
            Measurement.kpi_status(999999, "2026-05")
        with self.assertRaisesRegex(UserError, "month like 2026-05"):
            Measurement.kpi_status(self.company.id, "2026-13")
        with self.assertRaisesRegex(UserError, "month like 2026-05"):
            Measurement.kpi_status(self.company.id, None)
        with self.assertRaisesRegex(
            AccessError, "they belong to a company you do not work in"
        ):
            Measurement.kpi_status(self.other_company.id, "2026-05")
