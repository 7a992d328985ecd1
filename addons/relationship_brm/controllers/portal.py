import math

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# How many of their latest documents of each kind customers choose from.
DOCUMENT_CHOICES = 80


class DisputeCustomerPortal(CustomerPortal):
    """Disputes on the customer portal: customers follow the disputes of their
    commercial partner, comment on them and open new ones about their own
    invoices, orders and deliveries."""

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _prepare_disputes_domain(self, partner):
        return [("commercial_partner_id", "=", partner.commercial_partner_id.id)]

    def _get_dispute_searchbar_sortings(self):
        _ = request.env._
        return {
            "date": {"label": _("Newest"), "order": "date_open desc, id desc"},
            "reference": {"label": _("Reference"), "order": "reference desc, id desc"},
            "stage": {
                "label": _("Status"),
                "order": "stage_id, date_open desc, id desc",
            },
        }

    def _get_dispute_searchbar_filters(self):
        _ = request.env._
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": _("Closed"), "domain": [("is_closed", "=", True)]},
        }

    def _dispute_document_domains(self, partner):
        """Per dispute field, the model, domain and order of the documents of
        the commercial partner ``partner`` a customer may dispute: posted
        customer invoices and credit notes, confirmed sales orders, deliveries,
        all in the companies of the portal user (the dispute stays visible to
        them)."""
        company_ids = request.env.user.company_ids.ids
        return {
            "move_id": (
                "account.move",
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                    ("company_id", "in", company_ids),
                ],
                "invoice_date desc, id desc",
            ),
            "sale_order_id": (
                "sale.order",
                [
                    ("partner_id", "child_of", partner.id),
                    ("state", "=", "sale"),
                    ("company_id", "in", company_ids),
                ],
                "date_order desc, id desc",
            ),
            "picking_id": (
                "stock.picking",
                [
                    ("partner_id", "child_of", partner.id),
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "!=", "cancel"),
                    ("company_id", "in", company_ids),
                ],
                "scheduled_date desc, id desc",
            ),
        }

    def _dispute_document_choices(self, partner):
        """The latest documents of ``partner`` of each kind, for the selects of
        the new dispute form."""
        choices = {}
        for fname, (model, domain, order) in self._dispute_document_domains(
            partner
        ).items():
            # sudo: portal users may not read all of their commercial partner's
            # documents through the record rules (those follow the followers);
            # the domain keeps to that partner and the user's companies, and
            # only the names are shown.
            choices[fname] = (
                request.env[model]
                .sudo()
                .search(domain, order=order, limit=DOCUMENT_CHOICES)
            )
        return choices

    def _dispute_form_values(self, partner, form=None, errors=None):
        Dispute = request.env["relationship.dispute"]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "dispute_new",
                "dispute_types": Dispute._fields["dispute_type"]._description_selection(
                    request.env
                ),
                "documents": self._dispute_document_choices(partner),
                "currency": request.env.user.company_id.currency_id,
                "form": form or {},
                "errors": errors or {},
            }
        )
        return values

    def _dispute_parse_form(self, partner, form):
        """Check the submitted new dispute form of the commercial partner
        ``partner``: return the values to create it with and a dict of errors
        per form field (empty when the form is valid)."""
        _ = request.env._
        errors = {}
        subject = (form.get("name") or "").strip()
        if not subject:
            errors["name"] = _("Please give your dispute a subject.")
        types = dict(
            request.env["relationship.dispute"]
            ._fields["dispute_type"]
            ._description_selection(request.env)
        )
        dispute_type = form.get("dispute_type") or ""
        if dispute_type not in types:
            errors["dispute_type"] = _("Please choose the type of the dispute.")
        amount = 0.0
        amount_text = (form.get("amount_disputed") or "").strip()
        if amount_text:
            try:
                amount = float(amount_text)
            except ValueError:
                amount = None
            if amount is None or not math.isfinite(amount):
                errors["amount_disputed"] = _(
                    "The disputed amount must be a number, not “%(value)s”.",
                    value=amount_text,
                )
            elif amount < 0:
                errors["amount_disputed"] = _("The disputed amount cannot be negative.")

        documents = {}
        for fname, (model, domain, _order) in self._dispute_document_domains(
            partner
        ).items():
            value = (form.get(fname) or "").strip()
            if not value:
                continue
            document = request.env[model]
            if value.isdigit():
                # sudo: same reason as the choices; the domain only finds the
                # document when it is one of the user's commercial partner.
                document = document.sudo().search(
                    [("id", "=", int(value)), *domain], limit=1
                )
            if not document:
                errors[fname] = _(
                    "This document is not one of yours: please choose one from "
                    "the list."
                )
            else:
                documents[fname] = document
        companies = {document.company_id for document in documents.values()}
        if len(companies) > 1:
            errors["documents"] = _(
                "The documents you chose belong to different companies of ours: "
                "please open one dispute for each."
            )
        if errors:
            return {}, errors

        user = request.env.user
        if companies:
            company = companies.pop()
        elif partner.company_id in user.company_ids:
            company = partner.company_id
        else:
            company = user.company_id
        owner, team = self._dispute_owner_and_team(partner, company, documents)
        # The agreement the disputed invoice or order was made under, if any.
        agreements = [
            documents[fname].agreement_id
            for fname in ("move_id", "sale_order_id")
            if fname in documents
        ]
        agreement = next((agreement for agreement in agreements if agreement), None)
        values = {
            "name": subject,
            "dispute_type": dispute_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "email_from": user.partner_id.email,
            "amount_disputed": amount,
            "description": plaintext2html(form.get("description") or ""),
            # The default owner is the creating user: here a portal user.
            "user_id": owner.id,
            "team_id": team.id,
            "agreement_id": agreement.id if agreement else False,
            **{fname: document.id for fname, document in documents.items()},
        }
        return values, {}

    def _dispute_owner_and_team(self, partner, company, documents):
        """The salesperson of the disputed documents, else the partner's, and
        the sales team of the documents, else the salesperson's, when they
        work for ``company``."""
        # sudo: portal users may not read sales teams nor other users' companies;
        # nothing of them is shown, they only route the dispute.
        partner = partner.sudo()
        users = request.env["res.users"]
        teams = request.env["crm.team"]
        move = documents.get("move_id")
        order = documents.get("sale_order_id")
        picking = documents.get("picking_id")
        for user in (
            move and move.invoice_user_id,
            order and order.user_id,
            picking and picking.sale_id.user_id,
            partner.user_id,
        ):
            if user and not user.share and company in user.company_ids:
                users = user
                break
        for team in (
            move and move.team_id,
            order and order.team_id,
            users.sale_team_id,
        ):
            if team and team.company_id in (company, request.env["res.company"]):
                teams = team
                break
        return users, teams

    # ------------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "dispute_count" in counters:
            Dispute = request.env["relationship.dispute"]
            values["dispute_count"] = (
                Dispute.search_count(
                    self._prepare_disputes_domain(request.env.user.partner_id)
                )
                if Dispute.has_access("read")
                else 0
            )
        return values

    @http.route(
        ["/my/disputes", "/my/disputes/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_disputes(self, page=1, sortby=None, filterby=None, **kw):
        Dispute = request.env["relationship.dispute"]
        values = self._prepare_portal_layout_values()
        sortings = self._get_dispute_searchbar_sortings()
        filters = self._get_dispute_searchbar_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = (
            self._prepare_disputes_domain(request.env.user.partner_id)
            + filters[filterby]["domain"]
        )
        pager = portal_pager(
            url="/my/disputes",
            url_args={"sortby": sortby, "filterby": filterby},
            total=Dispute.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        disputes = Dispute.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_disputes_history"] = disputes.ids[:100]
        values.update(
            {
                "disputes": disputes,
                "page_name": "dispute",
                "pager": pager,
                "default_url": "/my/disputes",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("relationship_brm.portal_my_disputes", values)

    @http.route(
        ["/my/disputes/<int:dispute_id>"], type="http", auth="public", website=True
    )
    def portal_my_dispute(self, dispute_id, access_token=None, **kw):
        try:
            dispute_sudo = self._document_check_access(
                "relationship.dispute", dispute_id, access_token=access_token
            )
        except (AccessError, MissingError):
            # The same answer whether the dispute exists or not.
            return request.not_found()
        values = self._prepare_portal_layout_values()
        values.update({"dispute": dispute_sudo, "page_name": "dispute"})
        # The chatter posts with the access token: customers read their
        # disputes, they do not write them.
        values = self._get_page_view_values(
            dispute_sudo,
            access_token or dispute_sudo._portal_ensure_token(),
            values,
            "my_disputes_history",
            False,
            **kw,
        )
        return request.render("relationship_brm.portal_my_dispute", values)

    @http.route(
        ["/my/disputes/new"],
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_dispute_new(self, **form):
        partner = request.env.user.partner_id.commercial_partner_id
        if request.httprequest.method != "POST":
            # "Report a problem" on an invoice or order preselects it; the
            # select only offers the customer's own documents, so an id of
            # someone else's selects nothing.
            preselected = {
                fname: form[fname]
                for fname in ("move_id", "sale_order_id", "picking_id")
                if isinstance(form.get(fname), str) and form[fname].isdigit()
            }
            return request.render(
                "relationship_brm.portal_dispute_new",
                self._dispute_form_values(partner, preselected),
            )
        form.pop("csrf_token", None)
        values, errors = self._dispute_parse_form(partner, form)
        if not errors:
            try:
                with request.env.cr.savepoint():
                    dispute = self._dispute_create_from_portal(values, form)
            except (UserError, ValidationError) as error:
                errors["documents"] = error.args[0]
        if errors:
            return request.render(
                "relationship_brm.portal_dispute_new",
                self._dispute_form_values(partner, form, errors),
                status=400,
            )
        return request.redirect(dispute.access_url)

    def _dispute_create_from_portal(self, values, form):
        """Create the dispute with ``values`` (checked by
        ``_dispute_parse_form``) and post the customer's description as its
        first message, by the customer, so that its owner is notified."""
        author = request.env.user.partner_id
        # sudo: portal users have no create right on disputes; every value was
        # checked against the user's commercial partner and companies. The
        # environment's user stays the portal user: it follows the dispute.
        # The owner follows it too; the customer's message below tells them
        # about it, in one email rather than two (no "assigned to you" one).
        dispute = (
            request.env["relationship.dispute"]
            .sudo()
            .with_context(mail_auto_subscribe_no_notify=True)
            .create(values)
        )
        dispute = dispute.with_context(mail_auto_subscribe_no_notify=False)
        description = (form.get("description") or "").strip()
        dispute.message_post(
            body=plaintext2html(description or values["name"]),
            author_id=author.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return dispute
