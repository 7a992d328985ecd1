from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .relationship_satisfaction import KIND_RANGES


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    relationship_kind = fields.Selection(
        [("none", "None"), ("csat", "CSAT (1-5)"), ("nps", "NPS (0-10)")],
        string="Customer Satisfaction",
        required=True,
        default="none",
        help="Record the answers of customers to this survey as CSAT or NPS "
        "satisfaction responses, which feed the engagement score.",
    )
    relationship_question_id = fields.Many2one(
        "survey.question",
        string="Satisfaction Question",
        domain="[('survey_id', '=', id), "
        "('question_type', 'in', ('numerical_box', 'scale'))]",
        help="The numerical or scale question whose answer is the CSAT (1-5) "
        "or NPS (0-10) value.",
    )

    @api.constrains("relationship_kind", "relationship_question_id")
    def _check_relationship_question_id(self):
        for survey in self:
            kind = survey.relationship_kind
            question = survey.relationship_question_id
            if kind == "none":
                continue
            if (
                not question
                or question.survey_id != survey
                or question.question_type not in ("numerical_box", "scale")
            ):
                raise ValidationError(
                    self.env._(
                        "Survey “%(survey)s”: choose a numerical or scale question "
                        "of the survey giving the satisfaction value.",
                        survey=survey.display_name,
                    )
                )
            low, high = KIND_RANGES[kind]
            if question.question_type == "scale" and (
                question.scale_min < low or question.scale_max > high
            ):
                raise ValidationError(
                    self.env._(
                        "Survey “%(survey)s”: the scale of “%(question)s” "
                        "(%(min)s-%(max)s) must stay within %(low)s-%(high)s.",
                        survey=survey.display_name,
                        question=question.title,
                        min=question.scale_min,
                        max=question.scale_max,
                        low=low,
                        high=high,
                    )
                )
