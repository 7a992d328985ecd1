import json

from odoo import Command, models
from odoo.exceptions import AccessError, UserError

from ..tools import rpc

# Models holding relationship data about a customer, with the field naming the
# (commercial) customer. relationship_brm and other addons extend the list by
# overriding _relationship_data_models().
RELATIONSHIP_DATA_MODELS = (
    ("relationship.engagement", "partner_id"),
    ("relationship.engagement.snapshot", "partner_id"),
    ("relationship.analytics", "partner_id"),
    ("relationship.interaction", "partner_id"),
    ("relationship.satisfaction", "partner_id"),
    ("relationship.program.enrolment", "partner_id"),
    ("relationship.program.enrolment.line", "partner_id"),
    ("relationship.event", "partner_id"),
)
# Field types left out of the export (files, computed HTML breakdowns).
SKIPPED_TYPES = ("binary", "html")


class ResPartner(models.Model):
    """Relationship data export and erasure (data protection requests).
    Another ``_inherit`` of res.partner in its own file, next to
    res_partner.py, to keep the privacy tools together."""

    _inherit = "res.partner"

    def _relationship_data_models(self):
        return list(RELATIONSHIP_DATA_MODELS)

    def _relationship_check_privacy_rights(self):
        if not self.env.user.has_group("relationship_mgmt.group_relationship_manager"):
            raise AccessError(
                self.env._(
                    "Only Relationships managers may export or erase a customer's "
                    "relationship data."
                )
            )
        # Over RPC the ids come unchecked: refuse wrong or unknown ones clearly.
        rpc.checked_records(
            self.env, "res.partner", list(self._ids), self.env._("partner ids")
        )

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_export_data(self):
        """Everything the relationship addons hold about these customers (and
        their contacts), as plain JSON-able data, limited to what the caller
        may read (their companies).

        :return: ``{"<partner id>": {"customer": name, "models": {model:
                 [rows]}}}`` (string keys, as XML-RPC and JSON need)
        """
        self._relationship_check_privacy_rights()
        result = {}
        for partner in self.commercial_partner_id:
            data = {}
            for model_name, field_name in self._relationship_data_models():
                if model_name not in self.env:
                    continue
                Model = self.env[model_name]
                names = [
                    name
                    for name, field in Model._fields.items()
                    if field.store and field.type not in SKIPPED_TYPES
                ]
                # Archived records are the customer's data too.
                rows = Model.with_context(active_test=False).search_read(
                    [(field_name, "=", partner.id)], names
                )
                data[model_name] = json.loads(json.dumps(rows, default=str))
            result[str(partner.id)] = {
                "customer": partner.display_name,
                "models": data,
            }
        return result

    def action_relationship_export(self):
        """Download the relationship data of this customer as a JSON file."""
        self.ensure_one()
        data = self.relationship_export_data()
        partner = self.commercial_partner_id
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"relationship-data-{partner.id}.json",
                "mimetype": "application/json",
                "raw": json.dumps(data, indent=2, ensure_ascii=False).encode(),
                "res_model": "res.partner",
                "res_id": partner.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_relationship_export_report(self):
        """The same data as a readable page (printable to PDF)."""
        self._relationship_check_privacy_rights()
        return self.env.ref(
            "relationship_mgmt.relationship_privacy_report_action"
        ).report_action(self.commercial_partner_id)

    def _relationship_report_sections(self):
        """``[(model description, [(field label, value), ...] per row)]`` for
        the readable report."""
        self.ensure_one()
        sections = []
        for model_name, rows in self.relationship_export_data()[str(self.id)][
            "models"
        ].items():
            Model = self.env[model_name]
            labels = {name: field.string for name, field in Model._fields.items()}
            sections.append(
                (
                    Model._description,
                    [
                        [
                            (labels.get(name, name), value)
                            for name, value in row.items()
                            if value not in (False, None, "", [])
                        ]
                        for row in rows
                    ],
                )
            )
        return sections

    @rpc.ids_first(lambda env: env._("partner ids"))
    def relationship_erase_data(self):
        """Delete the relationship data of these customers in every company
        and record it in Odoo's privacy log when that module is installed.

        :return: ``{model: number of records deleted or anonymised}``
        """
        self._relationship_check_privacy_rights()
        commercial = self.commercial_partner_id
        if not commercial:
            raise UserError(self.env._("Select the customers to erase."))
        counts = {}
        # Deepest first (lines before their enrolment).
        for model_name, field_name in reversed(self._relationship_data_models()):
            if model_name not in self.env:
                continue
            # sudo: an erasure request covers the customer's data in every
            # company, including ones the manager does not work in.
            records = (
                self.env[model_name]
                .sudo()
                .with_context(active_test=False)
                .search([(field_name, "in", commercial.ids)])
            )
            counts[model_name] = commercial._relationship_erase_records(records)
        if "privacy.log" in self.env:
            for partner in commercial:
                # sudo: the log is technical; the manager's rights were checked.
                self.env["privacy.log"].sudo().create(
                    {
                        "anonymized_name": partner.name or "",
                        "anonymized_email": partner.email or "",
                        "execution_details": self.env._(
                            "Relationship data erased: %(details)s",
                            details=", ".join(
                                f"{model} {count}"
                                for model, count in counts.items()
                                if count
                            )
                            or self.env._("nothing held"),
                        ),
                        "records_description": ", ".join(sorted(counts)),
                    }
                )
        # sudo: posting on a contact needs the right to edit it, which a
        # Relationships manager need not have; the erasure itself was checked
        # above, and the note stays authored by the manager.
        commercial.sudo().message_post(
            body=self.env._(
                "Relationship data erased at the customer's request "
                "(%(count)s records).",
                count=sum(counts.values()),
            )
        )
        return counts

    def _relationship_erase_records(self, records):
        """Erase ``records`` (of a covered model, sudo) of the customers
        ``self``: delete them. Overrides may anonymise instead the records the
        law obliges to keep (accounting facts).

        :return: number of records erased (deleted or anonymised)
        """
        count = len(records)
        records.unlink()
        return count

    def action_relationship_erase_confirm(self):
        """The confirmation window of Action ▸ Erase Relationship Data."""
        self._relationship_check_privacy_rights()
        wizard = self.env["relationship.privacy.erase.wizard"].create(
            {"partner_ids": [Command.set(self.ids)]}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Erase Relationship Data"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_relationship_erase(self):
        self.relationship_erase_data()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Relationship data erased"),
                "message": self.env._(
                    "Scores, history, analytics, interactions, satisfaction "
                    "responses and program enrolments were deleted."
                ),
                "type": "success",
            },
        }
