from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare, float_round

from odoo.addons.relationship_mgmt.engine.signals import (
    INVOICE_TYPES,
    RELATIONSHIP_USER_GROUP,
)
from odoo.addons.relationship_mgmt.tools import rpc

from .relationship_dispute import RESOLUTION_TYPES

# Options each resolution accepts, in ``resolve(resolution_type, **options)``.
RESOLUTION_OPTIONS = {
    "credit_note": {"amount", "line_ids", "post", "note", "close"},
    "return": {"lines", "note", "close"},
    "replacement": {"lines", "note", "close"},
    "discount": {"amount", "percent", "note", "close"},
    "rejection": {"reason"},
}


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


class RelationshipDispute(models.Model):
    """Resolution of a dispute: its effect on the ledger or the warehouse done
    in one step through Odoo's own wizards (credit note by the reversal
    wizard, return or replacement by the return picking wizard, discount on
    the next order by the sales discount wizard, or a rejection), recorded on
    the dispute and noted in its chatter.

    The public methods are the XML-RPC surface: each returns a dict of plain
    values (see ``_resolution_result``)."""

    _inherit = "relationship.dispute"

    discount_ids = fields.One2many(
        "relationship.dispute.discount",
        "dispute_id",
        string="Discounts on Next Order",
        readonly=True,
    )
    amount_remaining = fields.Monetary(
        string="Still Disputed",
        compute="_compute_amount_remaining",
        currency_field="currency_id",
        help="Disputed amount (or, when none was given, the amount of the disputed "
        "invoice lines or document) not yet granted by a credit note or discount.",
    )

    @api.depends(
        "amount_disputed", "amount_resolved", "move_id", "move_line_ids", "currency_id"
    )
    def _compute_amount_remaining(self):
        for dispute in self:
            remaining = dispute._amount_ceiling() - dispute.amount_resolved
            dispute.amount_remaining = max(dispute.currency_id.round(remaining), 0.0)

    def _amount_ceiling(self):
        """The most the resolutions may grant, in the dispute's currency."""
        self.ensure_one()
        if self.amount_disputed:
            return self.amount_disputed
        total, _label = self._document_amount()
        return total or 0.0

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_open_resolve_wizard(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relationship_brm.relationship_dispute_resolve_action"
        )
        action["context"] = {"default_dispute_id": self.id}
        return action

    def action_open_reject_wizard(self):
        action = self.action_open_resolve_wizard()
        action["context"]["default_resolution_type"] = "rejection"
        return action

    def action_move_to_stage(self, stage_id):
        """What the kanban and the status bar do when a user moves the dispute
        to ``stage_id``: a closed stage opens the resolution (or rejection)
        window, since only a resolution closes a dispute; any other stage is
        written, and False is returned."""
        self.ensure_one()
        stage = self.env["relationship.dispute.stage"].browse(stage_id).exists()
        if not stage:
            raise UserError(self.env._("Unknown dispute stage %(id)s.", id=stage_id))
        if not stage.is_closed:
            self.stage_id = stage
            return False
        if stage.kind == "rejected":
            return self.action_open_reject_wizard()
        return self.action_open_resolve_wizard()

    # ------------------------------------------------------------------
    # Public API (XML-RPC)
    # ------------------------------------------------------------------

    @rpc.ids_first(lambda env: env._("dispute ids"))
    def resolve(self, resolution_type=None, **options):
        """Resolve the dispute by ``resolution_type`` (credit_note, return,
        replacement, discount, rejection) with the options of that
        resolution's method; return what was done (see
        ``_resolution_result``)."""
        self._check_caller()
        if not resolution_type:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: choose a resolution type.",
                    dispute=self.display_name,
                )
            )
        if resolution_type not in RESOLUTION_OPTIONS:
            raise UserError(
                self.env._(
                    "Unknown resolution type %(type)r; expected one of %(types)s.",
                    type=resolution_type,
                    types=", ".join(key for key, _label in RESOLUTION_TYPES),
                )
            )
        unknown = set(options) - RESOLUTION_OPTIONS[resolution_type]
        if unknown:
            raise UserError(
                self.env._(
                    "Unknown options for a %(type)s resolution: %(options)s.",
                    type=resolution_type,
                    options=", ".join(sorted(unknown)),
                )
            )
        method = {
            "credit_note": self.action_resolve_credit_note,
            "return": self.action_resolve_return,
            "replacement": self.action_resolve_replacement,
            "discount": self.action_resolve_discount,
            "rejection": self.action_reject,
        }[resolution_type]
        return method(**options)

    def action_resolve_credit_note(
        self, amount=None, line_ids=None, post=True, note=None, close=True
    ):
        """Credit the disputed invoice lines (``line_ids``, default the
        dispute's lines, else the whole invoice) for ``amount`` in the
        dispute's currency (default: all that is still disputed, at most the
        lines' total), through Odoo's reversal wizard. The credit note is
        posted and reconciled with the invoice when ``post``, else left in
        draft."""
        stage = self._check_resolvable("credit_note", close, note)
        if not isinstance(post, bool):
            raise UserError(
                self.env._(
                    "Option post must be true or false, not %(value)s.",
                    value=repr(post),
                )
            )
        dispute = self.with_company(self.company_id)
        invoice = dispute.move_id
        if not invoice:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s is tied to no invoice to credit.",
                    dispute=dispute.display_name,
                )
            )
        if invoice.move_type not in INVOICE_TYPES or invoice.state != "posted":
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: only a posted invoice or bill can be "
                    "credited; %(invoice)s is not.",
                    dispute=dispute.display_name,
                    invoice=invoice.display_name,
                )
            )
        lines = dispute._credit_note_lines(line_ids)
        currency = invoice.currency_id
        date = fields.Date.context_today(self)
        lines_total = sum(lines.mapped("price_total"))
        remaining = dispute.currency_id._convert(
            dispute.amount_remaining, currency, dispute.company_id, date
        )
        if amount is None:
            to_credit = min(lines_total, remaining)
        else:
            dispute._check_amount(amount)
            to_credit = dispute.currency_id._convert(
                amount, currency, dispute.company_id, date
            )
        if currency.compare_amounts(to_credit, min(lines_total, remaining)) > 0:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: cannot credit %(amount)s; still disputed "
                    "%(remaining)s, lines to credit %(lines)s.",
                    dispute=dispute.display_name,
                    amount=currency.format(to_credit),
                    remaining=currency.format(remaining),
                    lines=currency.format(lines_total),
                )
            )
        if currency.compare_amounts(to_credit, 0.0) <= 0:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: nothing is left to credit.",
                    dispute=dispute.display_name,
                )
            )
        credit_note = dispute._create_credit_note(invoice, lines, to_credit, post)
        dispute._internal().write(
            {
                "credit_note_ids": [Command.link(credit_note.id)],
                "amount_resolved": dispute.amount_resolved
                + currency._convert(
                    credit_note.amount_total,
                    dispute.currency_id,
                    dispute.company_id,
                    date,
                ),
            }
        )
        summary = self.env._(
            "Credit note %(move)s of %(amount)s (%(state)s) for %(invoice)s.",
            move=credit_note._get_html_link(),
            amount=currency.format(credit_note.amount_total),
            state=dict(credit_note._fields["state"]._description_selection(self.env))[
                credit_note.state
            ],
            invoice=invoice._get_html_link(),
        )
        dispute._record_resolution("credit_note", stage, note, summary)
        return dispute._resolution_result(credit_notes=credit_note)

    def action_resolve_return(self, lines=None, note=None, close=True):
        """Take goods of the done delivery back through Odoo's return wizard.
        ``lines``: ``[{"product_id": id, "quantity": qty}]``; default: the
        quantities of the disputed invoice lines, else all that is
        returnable."""
        return self._resolve_by_return("return", lines, note, close)

    def action_resolve_replacement(self, lines=None, note=None, close=True):
        """Return the goods and deliver the same goods again (the return
        wizard's exchange). ``lines`` as for ``action_resolve_return``."""
        return self._resolve_by_return("replacement", lines, note, close)

    def action_resolve_discount(self, amount=None, percent=None, note=None, close=True):
        """Grant a discount on the partner's next confirmed sales order: a
        fixed ``amount`` (taxes included, counted as resolved now) or a
        ``percent`` of that order (counted once the order takes it)."""
        stage = self._check_resolvable("discount", close, note)
        if (amount is None) == (percent is None):
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: give either a discount amount or a "
                    "percentage.",
                    dispute=self.display_name,
                )
            )
        values = {
            "dispute_id": self.id,
            "partner_id": self.commercial_partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
        }
        if amount is not None:
            self._check_amount(amount)
            if self.currency_id.compare_amounts(amount, self.amount_remaining) > 0:
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s: a discount of %(amount)s is more than "
                        "the %(remaining)s still disputed.",
                        dispute=self.display_name,
                        amount=self.currency_id.format(amount),
                        remaining=self.currency_id.format(self.amount_remaining),
                    )
                )
            values.update(discount_type="amount", amount=amount)
            label = self.currency_id.format(amount)
        else:
            if not _is_number(percent) or not 0 < percent <= 100:
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s: a discount percentage lies between 0 "
                        "and 100, not %(percent)s.",
                        dispute=self.display_name,
                        percent=percent,
                    )
                )
            values.update(discount_type="percent", percent=percent)
            label = f"{percent:g}%"
        # sudo: users may not create discounts themselves (only through a
        # dispute's resolution, checked above), so none is granted outside
        # a resolution.
        discount = self.env["relationship.dispute.discount"].sudo().create(values)
        if amount is not None:
            self._internal().amount_resolved += amount
        summary = self.env._(
            "Discount of %(value)s granted on the next sales order of %(partner)s.",
            value=label,
            partner=self.commercial_partner_id._get_html_link(),
        )
        self._record_resolution("discount", stage, note, summary)
        return self._resolution_result(discounts=discount)

    def action_reject(self, reason=None):
        """Reject the dispute for ``reason`` (required)."""
        stage = self._check_resolvable("rejection", True)
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: give the reason for rejecting it.",
                    dispute=self.display_name,
                )
            )
        summary = self.env._("Rejected: %(reason)s", reason=reason.strip())
        self._record_resolution("rejection", stage, reason.strip(), summary)
        return self._resolution_result()

    # ------------------------------------------------------------------
    # Checks and bookkeeping
    # ------------------------------------------------------------------

    def _check_caller(self):
        """Refuse callers who are no Relationships users, unknown ids, more
        than one dispute, and disputes of companies the caller does not work
        in, each with a message saying so."""
        if not self.env.su and not self.env.user.has_group(RELATIONSHIP_USER_GROUP):
            raise AccessError(
                self.env._("Only Relationships users may resolve disputes.")
            )
        disputes = rpc.checked_records(
            self.env, self._name, list(self._ids), self.env._("dispute ids")
        )
        if len(disputes) != 1:
            raise UserError(
                self.env._(
                    "Disputes are resolved one at a time (%(count)s given).",
                    count=len(disputes),
                )
            )

    def _check_resolvable(self, resolution_type, close, note=None):
        """Refuse a resolution the user may not do or the dispute may not
        take; return the stage the dispute moves to (empty when it stays
        open)."""
        self._check_caller()
        self.check_access("write")
        if not isinstance(close, bool):
            raise UserError(
                self.env._(
                    "Option close must be true or false, not %(value)s.",
                    value=repr(close),
                )
            )
        if note not in (None, False) and not isinstance(note, str):
            raise UserError(
                self.env._(
                    "The resolution note must be text, not %(value)s.", value=repr(note)
                )
            )
        # Lock the dispute so that two resolutions at once cannot both grant
        # what is still disputed; then read its state as now committed.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM relationship_dispute WHERE id = %s FOR UPDATE",
                self.id,
            )
        )
        self.invalidate_recordset(
            ["amount_resolved", "stage_id", "is_closed", "active"]
        )
        if self.is_closed or not self.active:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s is already closed (%(stage)s).",
                    dispute=self.display_name,
                    stage=self.stage_id.display_name,
                )
            )
        if not close:
            return self.env["relationship.dispute.stage"]
        kind = "rejected" if resolution_type == "rejection" else "resolved"
        stage = self.env["relationship.dispute.stage"].search(
            [("kind", "=", kind)], limit=1
        )
        if not stage:
            raise UserError(
                self.env._(
                    "No dispute stage of kind %(kind)s is configured.",
                    kind=kind,
                )
            )
        return stage

    def _check_amount(self, amount):
        if not _is_number(amount) or self.currency_id.compare_amounts(amount, 0.0) <= 0:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: the amount must be a positive number, "
                    "not %(amount)r.",
                    dispute=self.display_name,
                    amount=amount,
                )
            )

    def _record_resolution(self, resolution_type, stage, note, summary):
        values = {"resolution_type": resolution_type}
        if note:
            values["resolution_note"] = note
        if stage:
            values["stage_id"] = stage.id
        self._internal().write(values)
        body = Markup("<p>%s</p>") % summary
        if note and resolution_type != "rejection":
            body += Markup("<p>%s</p>") % note
        self.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _resolution_result(self, credit_notes=None, pickings=None, discounts=None):
        """What a resolution did, as plain values for XML-RPC clients."""
        self.ensure_one()
        return {
            "dispute_id": self.id,
            "resolution_type": self.resolution_type or False,
            "stage": self.stage_id.name or False,
            "stage_kind": self.stage_kind or False,
            "is_closed": self.is_closed,
            "amount_resolved": self.amount_resolved,
            "amount_remaining": self.amount_remaining,
            "credit_note_ids": credit_notes.ids if credit_notes else [],
            "picking_ids": pickings.ids if pickings else [],
            "discount_ids": discounts.ids if discounts else [],
        }

    # ------------------------------------------------------------------
    # Credit note
    # ------------------------------------------------------------------

    def _credit_note_lines(self, line_ids):
        """The invoice lines to credit: ``line_ids`` when given (lines of the
        dispute's invoice), else the disputed lines, else every product line
        of the invoice."""
        invoice_lines = self.move_id.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        if line_ids is None:
            return self.move_line_ids or invoice_lines
        if not isinstance(line_ids, list | tuple) or not all(
            isinstance(line_id, int) and not isinstance(line_id, bool)
            for line_id in line_ids
        ):
            raise UserError(
                self.env._("The lines to credit must be a list of invoice line ids.")
            )
        lines = self.env["account.move.line"].browse(line_ids)
        if not lines or lines - invoice_lines:
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: the lines to credit must be product lines "
                    "of its invoice %(invoice)s.",
                    dispute=self.display_name,
                    invoice=self.move_id.display_name,
                )
            )
        return lines

    def _create_credit_note(self, invoice, lines, amount, post):
        """Reverse ``invoice`` with Odoo's reversal wizard, then cut the draft
        credit note down to ``lines`` and ``amount`` (invoice currency, taxes
        included)."""
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "journal_id": invoice.journal_id.id,
                    "date": fields.Date.context_today(self),
                    "reason": self.env._("dispute %s", self.display_name),
                }
            )
        )
        reversal.refund_moves()
        credit_note = reversal.new_move_ids
        # The reversal copies the invoice lines one for one, in order: pair
        # them by what they bill, to keep only the credited lines.
        credit_lines = credit_note.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ).sorted("id")
        by_key = defaultdict(list)
        for line in credit_lines:
            by_key[self._credit_line_key(line)].append(line)
        kept = self.env["account.move.line"]
        for line in lines.sorted("id"):
            kept |= by_key[self._credit_line_key(line)].pop(0)
        commands = [
            Command.unlink(line.id)
            for line in credit_note.invoice_line_ids
            if line not in kept
        ]
        if commands:
            credit_note.write({"invoice_line_ids": commands})
        currency = invoice.currency_id
        if currency.compare_amounts(amount, credit_note.amount_total) < 0:
            self._allow_partial_credit(credit_note, kept, amount)
        if currency.compare_amounts(credit_note.amount_total, amount) != 0:
            # Tax rounding can leave a cent that no line price reaches: say so
            # rather than credit another amount than the one granted.
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: %(amount)s cannot be credited exactly on "
                    "%(invoice)s (tax rounding gives %(nearest)s); credit "
                    "%(nearest)s or another amount.",
                    dispute=self.display_name,
                    amount=currency.format(amount),
                    invoice=invoice.display_name,
                    nearest=currency.format(credit_note.amount_total),
                )
            )
        if post:
            credit_note.action_post()
            self._reconcile_credit_note(invoice, credit_note)
        return credit_note

    def _allow_partial_credit(self, credit_note, lines, amount):
        """Cut the draft ``credit_note`` (its ``lines``) down to ``amount``,
        taxes included: a price allowance, each line credited its share of
        ``amount`` (by its total, the last line taking the rounding rest). A
        line keeps its quantity when its share divides into a unit price at
        the price precision, else it becomes one unit of that share, so no
        line carries an odd unit price. The lines are unlinked from the order
        lines: the quantities delivered and invoiced stay true."""
        currency = credit_note.currency_id
        digits = self.env["decimal.precision"].precision_get("Product Price")
        lines = lines.sorted("id")
        total = credit_note.amount_total
        untaxed, left = {}, amount
        for index, line in enumerate(lines):
            share = (
                left
                if index == len(lines) - 1
                else currency.round(amount * line.price_total / total)
            )
            left -= share
            ratio = line.price_subtotal / line.price_total if line.price_total else 1
            untaxed[line] = currency.round(share * ratio)
        self._write_allowance(credit_note, untaxed, digits)
        # Taxes computed on the rounded bases may miss by a cent or two: the
        # last line absorbs the difference, at most twice.
        last = lines[-1:]
        for _attempt in range(2):
            gap = amount - credit_note.amount_total
            if not last or currency.is_zero(gap):
                break
            ratio = last.price_subtotal / last.price_total if last.price_total else 1
            untaxed[last] = currency.round(untaxed[last] + gap * ratio)
            self._write_allowance(credit_note, {last: untaxed[last]}, digits)

    def _write_allowance(self, credit_note, untaxed, digits):
        currency = credit_note.currency_id
        commands = []
        for line, base in untaxed.items():
            quantity = line.quantity or 1.0
            price = float_round(base / quantity, precision_digits=digits)
            if currency.compare_amounts(price * quantity, base) != 0:
                quantity, price = 1.0, base
            commands.append(
                Command.update(
                    line.id,
                    {
                        "quantity": quantity,
                        "price_unit": price,
                        **self._unlinked_order_values(line),
                    },
                )
            )
        credit_note.write({"invoice_line_ids": commands})

    @staticmethod
    def _credit_line_key(line):
        return (
            line.product_id.id,
            line.name,
            line.quantity,
            float_round(line.price_unit, precision_digits=6),
        )

    @staticmethod
    def _unlinked_order_values(line):
        values = {}
        if "sale_line_ids" in line._fields and line.sale_line_ids:
            values["sale_line_ids"] = [Command.clear()]
        if "purchase_line_id" in line._fields and line.purchase_line_id:
            values["purchase_line_id"] = False
        return values

    @api.model
    def _reconcile_credit_note(self, invoice, credit_note):
        """Settle the invoice with the credit note as far as it is still due;
        an invoice already paid keeps the credit note as an open credit."""
        if invoice.currency_id.is_zero(invoice.amount_residual):
            return
        accounts = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).account_id
        (invoice.line_ids | credit_note.line_ids).filtered(
            lambda line: line.account_id in accounts and not line.reconciled
        ).reconcile()

    # ------------------------------------------------------------------
    # Return and replacement
    # ------------------------------------------------------------------

    def _resolve_by_return(self, resolution_type, lines, note, close):
        stage = self._check_resolvable(resolution_type, close, note)
        dispute = self.with_company(self.company_id)
        picking = dispute.picking_id
        if not picking or picking.state != "done":
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: a return needs the dispute's delivery or "
                    "receipt, done.",
                    dispute=dispute.display_name,
                )
            )
        wizard = (
            self.env["stock.return.picking"]
            .with_context(
                active_id=picking.id,
                active_ids=picking.ids,
                active_model="stock.picking",
            )
            .create({"picking_id": picking.id})
        )
        dispute._set_return_quantities(wizard, lines)
        if resolution_type == "return":
            returned = self.env["stock.picking"].browse(
                wizard.action_create_returns()["res_id"]
            )
            pickings = returned
        else:
            # The exchange creates the new delivery by procurement: find its
            # moves among those created in this transaction.
            domain = [
                ("product_id", "in", wizard.product_return_moves.product_id.ids),
                ("create_date", ">=", self.env.cr.now()),
                ("company_id", "=", dispute.company_id.id),
            ]
            Move = self.env["stock.move"]
            before = Move.search(domain)
            returned = self.env["stock.picking"].browse(
                wizard.action_create_exchanges()["res_id"]
            )
            created = Move.search(domain) - before - returned.move_ids
            pickings = returned | created.picking_id
        dispute._internal().picking_ids = [
            Command.link(picking.id) for picking in pickings
        ]
        moved = ", ".join(
            f"{move.product_uom_qty:g} {move.product_uom.name} "
            f"{move.product_id.display_name}"
            for move in returned.move_ids
        )
        if resolution_type == "return":
            summary = self.env._(
                "Return %(picking)s of %(goods)s.",
                picking=returned._get_html_link(),
                goods=moved,
            )
        else:
            summary = self.env._(
                "Replacement: return %(picking)s of %(goods)s and new delivery "
                "%(delivery)s.",
                picking=returned._get_html_link(),
                goods=moved,
                delivery=Markup(", ").join(
                    p._get_html_link() for p in created.picking_id
                ),
            )
        dispute._record_resolution(resolution_type, stage, note, summary)
        return dispute._resolution_result(pickings=pickings)

    def _returnable_by_move(self):
        """``{move: quantity still returnable}`` of the dispute's done
        delivery or receipt."""
        self.ensure_one()
        returnable = {}
        for move in self.picking_id.move_ids:
            if move.state != "done" or move.scrapped:
                continue
            already = sum(
                move.returned_move_ids.filtered(lambda m: m.state != "cancel").mapped(
                    "product_uom_qty"
                )
            )
            returnable[move] = max(move.quantity - already, 0.0)
        return returnable

    def _default_return_quantities(self, returnable_by_product):
        """``{product id: quantity}`` to return by default: the quantities of
        the disputed invoice lines, else all that is returnable."""
        if not self.move_line_ids:
            return dict(returnable_by_product)
        requested = defaultdict(float)
        for invoice_line in self.move_line_ids:
            requested[invoice_line.product_id.id] += invoice_line.quantity
        return {
            product_id: min(quantity, returnable_by_product.get(product_id, 0.0))
            for product_id, quantity in requested.items()
        }

    def _set_return_quantities(self, wizard, lines):
        """Put the quantities to return on the return wizard's lines: the
        requested ``lines`` (refusing products not delivered or more than is
        still returnable), else the default quantities."""
        by_move = self._returnable_by_move()
        by_product = defaultdict(float)
        for move, quantity in by_move.items():
            by_product[move.product_id.id] += quantity
        if lines is None:
            requested = self._default_return_quantities(by_product)
        else:
            requested = self._parse_return_lines(lines, by_product)
        wizard_lines = wizard.product_return_moves.sorted("id")
        for line in wizard_lines:
            take = min(
                requested.get(line.product_id.id, 0.0), by_move.get(line.move_id, 0.0)
            )
            line.quantity = take
            if line.product_id.id in requested:
                requested[line.product_id.id] -= take
        if not any(line.quantity > 0 for line in wizard_lines):
            raise UserError(
                self.env._(
                    "Dispute %(dispute)s: nothing of %(picking)s is left to return.",
                    dispute=self.display_name,
                    picking=self.picking_id.display_name,
                )
            )

    def _parse_return_lines(self, lines, returnable):
        if not isinstance(lines, list | tuple) or not lines:
            raise UserError(
                self.env._(
                    'The goods to return must be a list of {"product_id": id, '
                    '"quantity": quantity}.'
                )
            )
        requested = defaultdict(float)
        for line in lines:
            product_id = isinstance(line, dict) and line.get("product_id")
            quantity = isinstance(line, dict) and line.get("quantity")
            if (
                not isinstance(product_id, int)
                or isinstance(product_id, bool)
                or not _is_number(quantity)
                or quantity <= 0
            ):
                raise UserError(
                    self.env._(
                        "Each good to return needs a product id and a positive "
                        "quantity, not %(line)r.",
                        line=line,
                    )
                )
            requested[product_id] += quantity
        for product_id, quantity in requested.items():
            if product_id not in returnable:
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s: product %(product)s was not delivered "
                        "by %(picking)s.",
                        dispute=self.display_name,
                        product=product_id,
                        picking=self.picking_id.display_name,
                    )
                )
            if float_compare(quantity, returnable[product_id], 6) > 0:
                product = self.env["product.product"].browse(product_id)
                raise UserError(
                    self.env._(
                        "Dispute %(dispute)s: cannot return %(quantity)s of "
                        "%(product)s, only %(returnable)s are returnable.",
                        dispute=self.display_name,
                        quantity=quantity,
                        product=product.display_name,
                        returnable=returnable[product_id],
                    )
                )
        return requested
