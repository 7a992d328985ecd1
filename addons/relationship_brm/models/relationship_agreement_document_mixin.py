from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import column_exists, create_column

from .relationship_agreement import (
    AGREEMENT_TYPES,
    PURCHASE_TYPES,
    RUNNING_STATES,
    SALE_TYPES,
)

# Agreement types a document of each side defaults to.
DEFAULT_TYPES = {"sale": SALE_TYPES, "purchase": PURCHASE_TYPES}


def agreement_side_types(side):
    """Agreement types a document of ``side`` ("sale" or "purchase") may
    reference: every type but those of the other side."""
    other = PURCHASE_TYPES if side == "sale" else SALE_TYPES
    return [key for key, __ in AGREEMENT_TYPES if key not in other]


def agreement_domain(side):
    """Domain (web client string) of the agreements a document of ``side``
    may reference: running agreements of its partner's commercial entity."""
    return (
        "[('partner_id', 'parent_of', partner_id), "
        f"('state', 'in', {list(RUNNING_STATES)!r}), "
        f"('agreement_type', 'in', {agreement_side_types(side)!r})]"
    )


class RelationshipAgreementDocumentMixin(models.AbstractModel):
    """A business document (sale order, purchase order, invoice) that falls
    under an agreement of its partner: by default the partner's single
    running agreement of the document's side, kept while it fits."""

    _name = "relationship.agreement.document.mixin"
    _description = "Document under an Agreement"

    # The side of the business a document of the model is on ("sale" or
    # "purchase"; see _agreement_sides() for models with both), and the field
    # of relationship.dispute that links a dispute to the document.
    _agreement_side = "sale"
    _agreement_dispute_field = None

    agreement_id = fields.Many2one(
        "relationship.agreement",
        compute="_compute_agreement_id",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        groups="relationship_mgmt.group_relationship_user",
    )

    def _auto_init(self):
        # Create the column before the ORM does: existing documents have no
        # agreement, and the ORM would otherwise compute it for every one of
        # them when the addon is installed.
        if self._auto and not column_exists(self.env.cr, self._table, "agreement_id"):
            create_column(self.env.cr, self._table, "agreement_id", "int4")
        return super()._auto_init()

    def _agreement_sides(self):
        """``{side: documents}`` of the documents that reference agreements;
        the others reference none."""
        return {self._agreement_side: self}

    @api.depends("partner_id", "company_id")
    def _compute_agreement_id(self):
        """Keep an agreement that still fits the partner and company, else
        default to the partner's single running agreement of the side."""
        referencing = self.browse()
        for side, documents in self._agreement_sides().items():
            referencing |= documents
            defaults = self._agreement_defaults(documents, DEFAULT_TYPES[side])
            for document in documents:
                commercial = document.partner_id.commercial_partner_id
                # sudo: the document's author may not read agreements; only
                # the agreement's partner and company are compared.
                current = document.agreement_id.sudo()
                if (
                    current
                    and current.partner_id == commercial
                    and current.company_id == document.company_id
                ):
                    continue
                document.agreement_id = defaults.get(
                    (commercial.id, document.company_id.id), False
                )
        (self - referencing).agreement_id = False

    @api.constrains("agreement_id", "partner_id")
    def _check_agreement_id(self):
        """A document references an agreement with its own partner, of a type
        its side may use."""
        Agreement = self.env["relationship.agreement"]
        type_names = dict(
            Agreement._fields["agreement_type"]._description_selection(self.env)
        )
        for side, documents in self._agreement_sides().items():
            allowed = agreement_side_types(side)
            for document in documents:
                # sudo: consistency check of the agreement the document names.
                agreement = document.agreement_id.sudo()
                if not agreement:
                    continue
                commercial = document.partner_id.commercial_partner_id
                if agreement.partner_id != commercial:
                    raise ValidationError(
                        self.env._(
                            "%(document)s is for %(partner)s but agreement "
                            "%(agreement)s binds %(agreement_partner)s.",
                            document=document.display_name,
                            partner=commercial.display_name,
                            agreement=agreement.display_name,
                            agreement_partner=agreement.partner_id.display_name,
                        )
                    )
                if agreement.agreement_type not in allowed:
                    raise ValidationError(
                        self.env._(
                            "%(document)s cannot fall under %(agreement)s: a "
                            "%(type)s agreement covers the other side of the "
                            "business.",
                            document=document.display_name,
                            agreement=agreement.display_name,
                            type=type_names[agreement.agreement_type],
                        )
                    )

    @api.model
    def _agreement_defaults(self, documents, types):
        """``{(commercial partner id, company id): agreement id}`` of the pairs
        of ``documents`` with exactly one running agreement of one of
        ``types`` covering today (a renewal starting later is not counted),
        read in one query: the default agreement of a new document."""
        if not documents.partner_id or not documents.company_id:
            return {}
        today = fields.Date.context_today(self)
        # sudo: documents are created by users without relationship rights; the
        # default only names the agreement, its content stays protected.
        groups = (
            self.env["relationship.agreement"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [
                    (
                        "partner_id",
                        "in",
                        documents.partner_id.commercial_partner_id.ids,
                    ),
                    ("company_id", "in", documents.company_id.ids),
                    ("state", "in", RUNNING_STATES),
                    ("agreement_type", "in", list(types)),
                    ("date_start", "<=", today),
                    ("date_end", ">=", today),
                ],
                ["partner_id", "company_id"],
                ["id:array_agg"],
            )
        )
        return {
            (partner.id, company.id): ids[0]
            for partner, company, ids in groups
            if len(ids) == 1
        }

    def action_open_relationship_dispute(self):
        """Open a new billing dispute form about this document."""
        return self.env["relationship.dispute"]._action_new_billing_dispute(
            self, self._agreement_dispute_field
        )
