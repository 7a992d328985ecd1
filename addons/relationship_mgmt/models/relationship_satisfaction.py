import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)

KINDS = [("csat", "CSAT (1-5)"), ("nps", "NPS (0-10)")]
# Accepted answer range of each kind.
KIND_RANGES = {"csat": (1, 5), "nps": (0, 10)}
SOURCES = [("manual", "Manual"), ("survey", "Survey"), ("rating", "Rating")]
NPS_CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]


class RelationshipSatisfaction(models.Model):
    """One satisfaction response of a customer: a CSAT (1-5) or NPS (0-10)
    answer, typed in, read from a survey or imported from an Odoo rating.
    Each survey answer and each rating is recorded once."""

    _name = "relationship.satisfaction"
    _description = "Customer Satisfaction Response"
    _inherit = ["relationship.input.check"]
    _order = "date desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('parent_id', '=', False)]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    kind = fields.Selection(KINDS, required=True, default="csat")
    value = fields.Integer(
        required=True,
        aggregator="avg",
        help="CSAT: 1 (very unsatisfied) to 5 (very satisfied). "
        "NPS: 0 (would not recommend) to 10 (would certainly recommend).",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    source = fields.Selection(SOURCES, required=True, default="manual")
    comment = fields.Text()
    survey_user_input_id = fields.Many2one(
        "survey.user_input",
        string="Survey Answer",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    # Answers to a post-sale program's survey count for the program.
    program_id = fields.Many2one(
        "relationship.program",
        string="Post-sale Program",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
    )
    rating_id = fields.Many2one(
        "rating.rating",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    score = fields.Float(
        string="Score (0-100)",
        compute="_compute_score",
        store=True,
        aggregator="avg",
        digits=(5, 1),
        help="The answer on a common 0-100 scale: CSAT 1 → 0, 5 → 100; "
        "NPS 0 → 0, 10 → 100.",
    )
    nps_category = fields.Selection(
        NPS_CATEGORIES,
        string="NPS Category",
        compute="_compute_score",
        store=True,
        help="Promoters answer 9-10, passives 7-8, detractors 0-6.",
    )

    _sql_constraints = [
        (
            "survey_user_input_uniq",
            "unique(survey_user_input_id)",
            "A survey answer is recorded once.",
        ),
        ("rating_uniq", "unique(rating_id)", "A rating is recorded once."),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("kind", "value")
    def _compute_score(self):
        for response in self:
            low, high = KIND_RANGES.get(response.kind, (0, 1))
            response.score = max(
                0.0, min(100.0, (response.value - low) * 100 / (high - low))
            )
            response.nps_category = (
                self._nps_category(response.value) if response.kind == "nps" else False
            )

    @api.model
    def _nps_category(self, value):
        if value >= 9:
            return "promoter"
        if value >= 7:
            return "passive"
        return "detractor"

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("kind", "value")
    def _check_value(self):
        labels = dict(KINDS)
        for response in self:
            low, high = KIND_RANGES[response.kind]
            if not low <= response.value <= high:
                raise ValidationError(
                    self.env._(
                        "Satisfaction of %(customer)s: %(value)s is not a valid "
                        "%(kind)s answer (from %(low)s to %(high)s).",
                        customer=response.partner_id.display_name,
                        value=response.value,
                        kind=labels[response.kind],
                        low=low,
                        high=high,
                    )
                )

    @api.constrains("partner_id")
    def _check_partner_id(self):
        for response in self:
            partner = response.partner_id
            if partner != partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Satisfaction: %(partner)s is a contact of %(customer)s; "
                        "record the response for the customer.",
                        partner=partner.display_name,
                        customer=partner.commercial_partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if vals.get("partner_id"):
                # A contact's answer counts for its commercial entity.
                vals["partner_id"] = Partner.browse(
                    vals["partner_id"]
                ).commercial_partner_id.id
        responses = super().create(vals_list)
        responses._mark_customers()
        return responses

    def write(self, vals):
        if not {"partner_id", "company_id", "kind", "value", "date"} & vals.keys():
            return super().write(vals)
        self._mark_customers()
        result = super().write(vals)
        self._mark_customers()
        return result

    def unlink(self):
        self._mark_customers()
        return super().unlink()

    def _mark_customers(self):
        self.env["relationship.engagement"]._mark_for_recompute(
            [(r.partner_id.id, r.company_id.id) for r in self]
        )

    # ------------------------------------------------------------------
    # Business methods (public for other features, e.g. post-sale programs)
    # ------------------------------------------------------------------

    @api.model
    def _record_survey_answers(self, user_inputs, company=None):
        """Record the completed answers ``user_inputs`` (``survey.user_input``)
        of surveys marked CSAT or NPS as satisfaction responses, once each.
        Answers of other surveys, test entries, anonymous answers, skipped or
        out-of-range values are left out.

        :param company: company the responses belong to; by default the
            customer's company, else the current company
        :return: the responses created
        """
        # sudo: survey answers are read only to copy their satisfaction value;
        # the responses are created with the caller's own rights.
        user_inputs = user_inputs.sudo().filtered(
            lambda ui: (
                ui.state == "done"
                and not ui.test_entry
                and ui.partner_id
                and ui.survey_id.relationship_kind in KIND_RANGES
                and ui.survey_id.relationship_question_id
            )
        )
        if not user_inputs:
            return self.browse()
        recorded = self.search([("survey_user_input_id", "in", user_inputs.ids)])
        vals_list = []
        for user_input in user_inputs - recorded.survey_user_input_id:
            vals = self._survey_answer_vals(user_input, company)
            if vals:
                vals_list.append(vals)
        responses = self.create(vals_list)
        # Answers to a program's survey count for the program.
        lines = self.env["relationship.program.enrolment.line"].search(
            [("survey_user_input_id", "in", responses.survey_user_input_id.ids)]
        )
        by_program = {}
        for line in lines:
            by_program.setdefault(line.program_id, set()).add(
                line.survey_user_input_id.id
            )
        for program, input_ids in by_program.items():
            responses.filtered(
                lambda r, ids=input_ids: r.survey_user_input_id.id in ids
            ).program_id = program
        return responses

    @api.model
    def _survey_answer_vals(self, user_input, company):
        survey = user_input.survey_id
        kind = survey.relationship_kind
        question = survey.relationship_question_id
        lines = user_input.user_input_line_ids
        line = lines.filtered(
            lambda ln: (
                ln.question_id == question
                and not ln.skipped
                and ln.answer_type in ("scale", "numerical_box")
            )
        )[:1]
        if not line:
            return None
        value = (
            line.value_scale
            if line.answer_type == "scale"
            else line.value_numerical_box
        )
        low, high = KIND_RANGES[kind]
        if value != int(value) or not low <= value <= high:
            _logger.info(
                "Survey answer %s: %s is not a %s answer, not recorded",
                user_input.id,
                value,
                kind,
            )
            return None
        comments = lines.filtered(
            lambda ln: ln.answer_type in ("text_box", "char_box") and not ln.skipped
        )
        partner = user_input.partner_id.commercial_partner_id
        return {
            "partner_id": partner.id,
            "company_id": (company or partner.company_id or self.env.company).id,
            "kind": kind,
            "value": int(value),
            "date": user_input.end_datetime or user_input.write_date,
            "source": "survey",
            "survey_user_input_id": user_input.id,
            "comment": "\n".join(
                ln.value_text_box or ln.value_char_box or "" for ln in comments
            )
            or False,
        }

    @api.model
    def _import_ratings(self, ratings):
        """Record consumed Odoo ratings (1-5) of customers as CSAT responses,
        once each. The response belongs to the company of the rated document
        when it has one, else to the customer's company, else the current one.

        :return: the responses created
        """
        # sudo: ratings are read only to copy their value; the responses are
        # created with the caller's own rights.
        ratings = ratings.sudo().filtered(
            lambda r: r.consumed and r.rating >= 1 and r.partner_id
        )
        recorded = self.search([("rating_id", "in", ratings.ids)]).rating_id
        ratings -= recorded
        companies = self._rating_document_companies(ratings)
        vals_list = []
        for rating in ratings:
            partner = rating.partner_id.commercial_partner_id
            company = companies.get(rating.id) or partner.company_id or self.env.company
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "kind": "csat",
                    "value": max(1, min(5, round(rating.rating))),
                    "date": rating.write_date,
                    "source": "rating",
                    "rating_id": rating.id,
                    "comment": rating.feedback or False,
                }
            )
        return self.create(vals_list)

    @api.model
    def _rating_document_companies(self, ratings):
        """``{rating id: company}`` of the rated documents, one read per model."""
        by_model = defaultdict(list)
        for rating in ratings:
            if rating.res_model in self.env and rating.res_id:
                by_model[rating.res_model].append(rating)
        result = {}
        for model, model_ratings in by_model.items():
            field = self.env[model]._fields.get("company_id")
            if not field or field.type != "many2one":
                continue
            # sudo: reads only the company of rated documents, to file the
            # response in the right company; nothing is shown to the user.
            documents = self.env[model].sudo().browse(r.res_id for r in model_ratings)
            documents.fetch(["company_id"])
            for rating in model_ratings:
                document = documents.browse(rating.res_id).exists()
                if document.company_id:
                    result[rating.id] = document.company_id
        return result

    # ------------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------------

    @api.model
    def _cron_import_survey_answers(self):
        """Record the completed answers of CSAT/NPS surveys not recorded yet."""
        self.flush_model(["survey_user_input_id"])
        self.env.cr.execute(
            """
            SELECT ui.id
              FROM survey_user_input ui
              JOIN survey_survey s ON s.id = ui.survey_id
             WHERE ui.state = 'done'
               AND NOT COALESCE(ui.test_entry, FALSE)
               AND ui.partner_id IS NOT NULL
               AND s.relationship_kind IN ('csat', 'nps')
               AND NOT EXISTS (SELECT 1 FROM relationship_satisfaction r
                                WHERE r.survey_user_input_id = ui.id)
             ORDER BY ui.id
            """
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        responses = self._record_survey_answers(
            self.env["survey.user_input"].browse(ids)
        )
        _logger.info("Recorded %s satisfaction responses from surveys", len(responses))
        return responses

    @api.model
    def _cron_import_ratings(self):
        """Record the customers' consumed ratings not recorded yet as CSAT."""
        self.flush_model(["rating_id"])
        self.env.cr.execute(
            """
            SELECT r.id
              FROM rating_rating r
             WHERE r.consumed
               AND r.rating >= 1
               AND r.partner_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM res_users u
                                WHERE u.partner_id = r.partner_id AND NOT u.share)
               AND NOT EXISTS (SELECT 1 FROM relationship_satisfaction s
                                WHERE s.rating_id = r.id)
             ORDER BY r.id
            """
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        responses = self._import_ratings(self.env["rating.rating"].browse(ids))
        _logger.info("Recorded %s satisfaction responses from ratings", len(responses))
        return responses
