from odoo import api, fields, models


class RelationshipSatisfaction(models.Model):
    """Survey answers to a post-sale program's survey count for the program."""

    _inherit = "relationship.satisfaction"

    program_id = fields.Many2one(
        "relationship.program",
        string="Post-sale Program",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
    )

    @api.model
    def _record_survey_answers(self, user_inputs, company=None):
        responses = super()._record_survey_answers(user_inputs, company=company)
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
