from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

ROUND_STATES = [
    ("proposed", "Proposed"),
    ("countered", "Countered"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
]
PROPOSERS = [("us", "Us"), ("partner", "Partner")]
# Negotiation rounds are added and decided while the agreement is open to
# negotiation only.
NEGOTIABLE_STATES = ("draft", "negotiation")


class RelationshipAgreementRound(models.Model):
    _name = "relationship.agreement.round"
    _description = "Agreement Negotiation Round"
    _inherit = ["relationship.input.check"]
    _order = "agreement_id, sequence, id"
    _check_company_auto = True

    agreement_id = fields.Many2one(
        "relationship.agreement",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="agreement_id.company_id", store=True, index=True
    )
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    sequence = fields.Integer(string="Round", readonly=True, default=0)
    date = fields.Date(required=True, default=fields.Date.context_today)
    proposed_by = fields.Selection(PROPOSERS, required=True, default="us")
    state = fields.Selection(
        ROUND_STATES, string="Status", required=True, default="proposed", readonly=True
    )
    amount = fields.Monetary(string="Proposed Value")
    payment_term_id = fields.Many2one(
        "account.payment.term", string="Payment Terms", check_company=True
    )
    lead_time_days = fields.Integer(string="Lead Time (days)")
    price_ids = fields.One2many(
        "relationship.agreement.price", "round_id", string="Proposed Prices", copy=True
    )
    note = fields.Html(string="Proposed Terms")

    @api.depends("sequence", "proposed_by", "date")
    def _compute_display_name(self):
        labels = dict(self._fields["proposed_by"]._description_selection(self.env))
        for round_ in self:
            round_.display_name = self.env._(
                "Round %(number)s (%(who)s, %(date)s)",
                number=round_.sequence,
                who=labels.get(round_.proposed_by, ""),
                date=round_.date or "",
            )

    @api.constrains("amount", "lead_time_days")
    def _check_values(self):
        for round_ in self:
            if round_.amount < 0 or round_.lead_time_days < 0:
                raise ValidationError(
                    self.env._(
                        "Round %(round)s of %(agreement)s proposes a negative value "
                        "(%(amount)s) or lead time (%(lead)s days).",
                        round=round_.sequence,
                        agreement=round_.agreement_id.display_name,
                        amount=round_.amount,
                        lead=round_.lead_time_days,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        agreements = self.env["relationship.agreement"].browse(
            {vals["agreement_id"] for vals in vals_list if vals.get("agreement_id")}
        )
        agreements._check_negotiable()
        next_number = {
            agreement.id: max(agreement.round_ids.mapped("sequence"), default=0) + 1
            for agreement in agreements
        }
        for vals in vals_list:
            agreement_id = vals.get("agreement_id")
            if agreement_id and not vals.get("sequence"):
                vals["sequence"] = next_number[agreement_id]
                next_number[agreement_id] += 1
        rounds = super().create(vals_list)
        # A first round opens the negotiation.
        drafts = rounds.agreement_id.filtered(lambda a: a.state == "draft")
        drafts.write({"state": "negotiation"})
        return rounds

    def write(self, vals):
        decided = self.filtered(lambda r: r.state in ("accepted", "rejected"))
        if decided and set(vals) - {"note"}:
            raise UserError(
                self.env._(
                    "Round %(round)s of %(agreement)s is %(state)s: its terms are "
                    "history and cannot change.",
                    round=decided[0].sequence,
                    agreement=decided[0].agreement_id.display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        decided[0].state
                    ],
                )
            )
        return super().write(vals)

    def _check_open(self):
        self.agreement_id._check_negotiable()
        for round_ in self:
            if round_.state != "proposed":
                raise UserError(
                    self.env._(
                        "Round %(round)s of %(agreement)s was already answered.",
                        round=round_.sequence,
                        agreement=round_.agreement_id.display_name,
                    )
                )

    def action_accept(self):
        """Accept the proposal: the agreement takes its terms (value, prices,
        lead time, payment terms, text) as the final terms, and the other open
        proposals are rejected."""
        self._check_open()
        for agreement, rounds in self.grouped("agreement_id").items():
            if len(rounds) > 1 or agreement.accepted_round_id:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s accepts one round only.",
                        agreement=agreement.display_name,
                    )
                )
        for round_ in self:
            others = round_.agreement_id.round_ids.filtered(
                lambda r, current=round_: r != current and r.state == "proposed"
            )
            others.state = "rejected"
            round_.state = "accepted"
            round_.agreement_id.write(round_._final_terms())
        return True

    def action_counter(self):
        """The other side answers with a counter-proposal: this round is
        Countered and a new round starts from its terms."""
        self._check_open()
        self.state = "countered"
        new_rounds = self.create(
            [
                {
                    "agreement_id": round_.agreement_id.id,
                    "proposed_by": "partner" if round_.proposed_by == "us" else "us",
                    "amount": round_.amount,
                    "payment_term_id": round_.payment_term_id.id,
                    "lead_time_days": round_.lead_time_days,
                    "note": round_.note,
                    "price_ids": [
                        Command.create(
                            {
                                "product_id": price.product_id.id,
                                "price_unit": price.price_unit,
                            }
                        )
                        for price in round_.price_ids
                    ],
                }
                for round_ in self
            ]
        )
        if len(new_rounds) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": self._name,
                "res_id": new_rounds.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "new",
            }
        return True

    def action_reject(self):
        self._check_open()
        self.state = "rejected"
        return True

    def _final_terms(self):
        self.ensure_one()
        return {
            "accepted_round_id": self.id,
            "amount_committed": self.amount,
            "payment_term_id": self.payment_term_id.id,
            "lead_time_days": self.lead_time_days,
            "terms": self.note,
            "price_ids": [Command.clear()]
            + [
                Command.create(
                    {"product_id": price.product_id.id, "price_unit": price.price_unit}
                )
                for price in self.price_ids
            ],
        }
