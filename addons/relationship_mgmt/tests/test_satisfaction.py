from datetime import datetime, time, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY, RelationshipCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSatisfaction(RelationshipCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Satisfaction = cls.env["relationship.satisfaction"]
        cls.happy = cls._customer("Happy Customer")
        cls.unhappy = cls._customer("Unhappy Customer")
        cls.happy_contact = cls.env["res.partner"].create(
            {"name": "Happy Contact", "parent_id": cls.happy.id}
        )
        cls.csat_survey, cls.csat_question = cls._satisfaction_survey("csat", 1, 5)
        cls.nps_survey, cls.nps_question = cls._satisfaction_survey("nps", 0, 10)

    @classmethod
    def _satisfaction_survey(cls, kind, scale_min, scale_max):
        survey = cls.env["survey.survey"].create({"title": f"{kind} survey"})
        question = cls.env["survey.question"].create(
            {
                "survey_id": survey.id,
                "title": "How do you rate us?",
                "question_type": "scale",
                "scale_min": scale_min,
                "scale_max": scale_max,
            }
        )
        cls.env["survey.question"].create(
            {"survey_id": survey.id, "title": "Why?", "question_type": "text_box"}
        )
        survey.write(
            {"relationship_kind": kind, "relationship_question_id": question.id}
        )
        return survey, question

    def _answer(self, survey, partner, value, days_ago=1, state="done", comment=None):
        question = survey.relationship_question_id
        lines = [
            Command.create(
                {
                    "question_id": question.id,
                    "answer_type": "scale",
                    "value_scale": value,
                }
                if value is not None
                else {"question_id": question.id, "skipped": True}
            )
        ]
        if comment:
            why = survey.question_ids - question
            lines.append(
                Command.create(
                    {
                        "question_id": why.id,
                        "answer_type": "text_box",
                        "value_text_box": comment,
                    }
                )
            )
        # Customers answer through the survey pages (as public or portal
        # users): the test stores their answers as superuser.
        return (
            self.env["survey.user_input"]
            .sudo()
            .create(
                {
                    "survey_id": survey.id,
                    "partner_id": partner.id,
                    "state": state,
                    "end_datetime": datetime.combine(
                        TODAY - timedelta(days=days_ago), time(10)
                    ),
                    "user_input_line_ids": lines,
                }
            )
        )

    def test_survey_answers_are_recorded_once_as_csat_and_nps(self):
        csat = self._answer(self.csat_survey, self.happy_contact, 5, comment="Great")
        nps = self._answer(self.nps_survey, self.happy, 9)
        self._answer(self.csat_survey, self.unhappy, 4, state="in_progress")
        self._answer(self.csat_survey, self.unhappy, None)  # question skipped
        plain_survey = self.env["survey.survey"].create({"title": "Not satisfaction"})
        self.env["survey.user_input"].sudo().create(
            {
                "survey_id": plain_survey.id,
                "partner_id": self.unhappy.id,
                "state": "done",
            }
        )

        first = self.Satisfaction._cron_import_survey_answers()
        second = self.Satisfaction._cron_import_survey_answers()
        direct = self.Satisfaction._record_survey_answers(csat | nps)

        self.assertEqual(len(first), 2)
        self.assertFalse(second)
        self.assertFalse(direct)
        by_kind = {response.kind: response for response in first}
        self.assertEqual(by_kind["csat"].partner_id, self.happy)
        self.assertEqual(
            (by_kind["csat"].value, by_kind["csat"].source, by_kind["csat"].comment),
            (5, "survey", "Great"),
        )
        self.assertEqual(by_kind["csat"].survey_user_input_id, csat)
        self.assertEqual(
            (by_kind["nps"].value, by_kind["nps"].nps_category), (9, "promoter")
        )
        self.assertEqual(by_kind["nps"].score, 90.0)
        self.assertFalse(
            self.Satisfaction.search([("partner_id", "=", self.unhappy.id)])
        )

    def test_customer_shows_last_average_and_trend_of_csat_and_nps(self):
        for value, days_ago in ((2, 150), (3, 120), (5, 20), (4, 3)):
            self._answer(self.csat_survey, self.happy, value, days_ago=days_ago)
        for value, days_ago in ((10, 100), (6, 40), (9, 10)):
            self._answer(self.nps_survey, self.happy, value, days_ago=days_ago)
        self.Satisfaction._cron_import_survey_answers()

        partner = self.happy_contact.with_user(self.user_relationship)
        self.assertEqual(partner.satisfaction_count, 7)
        self.assertEqual(partner.csat_last, 4)
        self.assertAlmostEqual(partner.csat_average, 3.5)
        self.assertEqual(partner.nps_last, 9)
        self.assertEqual(partner.nps_last_category, "promoter")
        self.assertAlmostEqual(partner.nps_average, 8.33)
        # 2 promoters, 1 detractor of 3 answers
        self.assertAlmostEqual(partner.nps_score, 33.3)
        # last 90 days: CSAT 5, 4 → 100, 75 and NPS 6, 9 → 60, 90: 81.25;
        # the 90 days before: CSAT 2, 3 → 25, 50 and NPS 10 → 100: 58.33
        self.assertAlmostEqual(partner.satisfaction_trend, 22.9)
        self.assertEqual(partner.satisfaction_trend_direction, "up")
        self.assertEqual(self.unhappy.satisfaction_count, 0)
        self.assertFalse(self.unhappy.satisfaction_trend_direction)

    def test_satisfaction_feeds_engagement_score(self):
        for customer in (self.happy, self.unhappy):
            self._order(customer, 10, 500.0)
        self._recompute(self.happy, self.unhappy)
        engagement = self._engagement(self.happy)
        self.assertIn("No satisfaction feedback: not scored", engagement.reasons)
        score_before = engagement.score

        self._answer(self.csat_survey, self.happy, 5)
        self._answer(self.nps_survey, self.happy, 8)
        self._answer(self.csat_survey, self.unhappy, 1)
        self._answer(self.nps_survey, self.unhappy, 3)
        self._answer(self.nps_survey, self.unhappy, 2, days_ago=400)  # outside window
        self.Satisfaction._cron_import_survey_answers()
        self.assertTrue(engagement.needs_recompute)
        self._recompute(self.happy, self.unhappy)

        happy_e, unhappy_e = (
            self._engagement(self.happy),
            self._engagement(self.unhappy),
        )
        # (100 + 80) / 2 and (0 + 30) / 2
        self.assertAlmostEqual(happy_e.satisfaction_value, 90.0)
        self.assertAlmostEqual(unhappy_e.satisfaction_value, 15.0)
        self.assertGreater(happy_e.satisfaction_score, unhappy_e.satisfaction_score)
        self.assertGreater(happy_e.score, unhappy_e.score)
        self.assertNotEqual(happy_e.score, score_before)
        self.assertIn("Satisfaction 90/100", happy_e.reasons)

    def test_satisfaction_hook_reads_all_customers_in_one_query(self):
        Engagement = self.env["relationship.engagement"]
        date_from = TODAY - timedelta(days=365)
        Engagement._engagement_satisfaction_values(
            self.env.company, [self.happy.id], date_from
        )
        with self.assertQueryCount(1):
            Engagement._engagement_satisfaction_values(
                self.env.company, [self.happy.id, self.unhappy.id], date_from
            )

    def test_values_are_validated(self):
        before = self.Satisfaction.search_count([])
        for kind, value in (("csat", 0), ("csat", 6), ("nps", -1), ("nps", 11)):
            with (
                self.subTest(kind=kind, value=value),
                self.assertRaisesRegex(ValidationError, "is not a valid"),
                self.env.cr.savepoint(),
            ):
                self.Satisfaction.create(
                    {"partner_id": self.happy.id, "kind": kind, "value": value}
                )
        self.assertEqual(self.Satisfaction.search_count([]), before)
        with self.assertRaisesRegex(ValidationError, "stay within 1-5"):
            self.nps_survey.relationship_kind = "csat"
        response = self.Satisfaction.create(
            {"partner_id": self.happy_contact.id, "kind": "nps", "value": 0}
        )
        self.assertEqual(response.partner_id, self.happy)
        self.assertEqual((response.score, response.nps_category), (0.0, "detractor"))

    def test_survey_form_marks_a_survey_as_nps(self):
        survey = self.env["survey.survey"].create({"title": "Recommend us?"})
        question = self.env["survey.question"].create(
            {
                "survey_id": survey.id,
                "title": "Would you recommend us?",
                "question_type": "numerical_box",
            }
        )
        with Form(survey) as form:
            form.relationship_kind = "nps"
            form.relationship_question_id = question
        self.assertEqual(survey.relationship_question_id, question)
        user_input = (
            self.env["survey.user_input"]
            .sudo()
            .create(
                {
                    "survey_id": survey.id,
                    "partner_id": self.happy.id,
                    "state": "done",
                    "user_input_line_ids": [
                        Command.create(
                            {
                                "question_id": question.id,
                                "answer_type": "numerical_box",
                                "value_numerical_box": 7.0,
                            }
                        )
                    ],
                }
            )
        )
        response = self.Satisfaction._record_survey_answers(user_input)
        self.assertEqual((response.kind, response.value), ("nps", 7))

    def test_consumed_customer_ratings_are_imported_once_as_csat(self):
        company_2 = self.setup_other_company(name="Rating Company 2")["company"]
        order = self._order(self.happy, 5, company=company_2)
        model_id = self.env["ir.model"]._get_id("sale.order")
        Rating = self.env["rating.rating"]
        values = {"res_model_id": model_id, "res_id": order.id, "consumed": True}
        top = Rating.create(
            {
                **values,
                "partner_id": self.happy_contact.id,
                "rating": 5,
                "feedback": "Top",
            }
        )
        Rating.create({**values, "partner_id": self.unhappy.id, "rating": 1})
        Rating.create(
            {**values, "partner_id": self.unhappy.id, "rating": 3, "consumed": False}
        )
        Rating.create(
            {**values, "partner_id": self.user_relationship.partner_id.id, "rating": 1}
        )

        first = self.Satisfaction._cron_import_ratings()
        second = self.Satisfaction._cron_import_ratings()

        self.assertFalse(second)
        self.assertEqual(len(first), 2)
        imported = first.filtered(lambda r: r.rating_id == top)
        self.assertEqual(
            (imported.partner_id, imported.kind, imported.value, imported.source),
            (self.happy, "csat", 5, "rating"),
        )
        self.assertEqual(imported.comment, "Top")
        self.assertEqual(imported.company_id, company_2, "company of the rated order")
        self.assertEqual((first - imported).value, 1)

    def test_access_rights_per_group_and_company(self):
        company_2 = self.setup_other_company(name="Satisfaction Company 2")["company"]
        hidden = self.Satisfaction.create(
            {
                "partner_id": self.happy.id,
                "kind": "nps",
                "value": 2,
                "company_id": company_2.id,
            }
        )
        Satisfaction = self.Satisfaction.with_user(self.user_relationship)
        response = Satisfaction.create(
            {"partner_id": self.happy.id, "kind": "csat", "value": 4}
        )
        response.comment = "Said so on the phone"
        self.assertEqual(Satisfaction.search([]), response)
        self.assertEqual(
            self.happy.with_user(self.user_relationship).satisfaction_count, 1
        )
        self.assertNotIn(hidden, Satisfaction.search([]))
        with self.assertRaises(AccessError):
            response.unlink()
        with self.assertRaises(AccessError):
            response.with_user(self.user_plain).read(["value"])
        response.with_user(self.user_manager).unlink()
        self.assertFalse(response.exists())
