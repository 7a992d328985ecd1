import json

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, day
from .dispute_common import DisputeCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestBrmPrivacy(DisputeCommon):
    """Disputes, dispute discounts, trust snapshots and events in the data
    protection tools: exported, erased (deleted, or anonymised when tied to
    accounting documents, which stay untouched), and no trust score for
    customers who opted out of profiling."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "buyer@reliable.example"
        cls.contact = cls.env["res.partner"].create(
            {"name": "Reliable Buyer", "parent_id": cls.customer.id}
        )
        cls.other = cls._customer("Other Retail")
        for partner in (cls.customer, cls.other):
            cls._agreement(partner, date_start=day("2025-07-01"))
        cls.invoice = cls._invoice(
            cls.customer, day("2026-05-01"), day("2026-05-31"), ((2.0, 100.0),)
        )
        # Tied to an invoice, settled by a credit note: anonymised.
        cls.dispute_invoice = cls._dispute(
            cls.contact,
            name="Pallets broken at Reliable",
            description="<p>Call me on my private line 555-0199</p>",
            email_from="buyer@reliable.example",
            move_id=cls.invoice.id,
            amount_disputed=100.0,
        )
        cls.dispute_invoice.message_post(
            body="The buyer's complaint, by email", message_type="comment"
        )
        cls.dispute_invoice.resolve("credit_note")
        cls.credit_note = cls.dispute_invoice.credit_note_ids
        # Settled by a discount on the next order (still pending): anonymised.
        cls.dispute_discount = cls._dispute(
            name="Late again at Reliable", amount_disputed=50.0
        )
        cls.dispute_discount.resolve("discount", amount=20.0)
        cls.pending_discount = cls.dispute_discount.discount_ids
        # Tied to no document: deleted, with its cancelled discount.
        cls.dispute_loose = cls._dispute(
            name="Rude driver at Reliable", email_from="buyer@reliable.example"
        )
        cls.dispute_loose.resolve("rejection", reason="Not our carrier")
        cls.cancelled_discount = cls.env["relationship.dispute.discount"].create(
            {
                "dispute_id": cls.dispute_loose.id,
                "partner_id": cls.customer.id,
                "company_id": cls.env.company.id,
                "currency_id": cls.env.company.currency_id.id,
                "amount": 5.0,
                "state": "cancelled",
            }
        )
        cls.dispute_other = cls._dispute(cls.other, name="Other's dispute")
        cls.Snapshot.recompute_trust([cls.customer.id, cls.other.id])
        cls.event = cls.env["relationship.event"]._emit(
            [
                {
                    "event_type": "dispute_sla_breached",
                    "partner_id": cls.customer.id,
                    "company_id": cls.env.company.id,
                    "description": "SLA breached for Reliable Retail",
                }
            ]
        )

    def _of(self, model, partner):
        field = (
            "commercial_partner_id" if model == "relationship.dispute" else "partner_id"
        )
        return (
            self.env[model]
            .with_context(active_test=False)
            .search([(field, "=", partner.id)])
        )

    def test_export_includes_disputes_discounts_trust_and_events(self):
        data = self.contact.relationship_export_data()

        models = data[str(self.customer.id)]["models"]
        disputes = {row["id"]: row for row in models["relationship.dispute"]}
        self.assertEqual(
            set(disputes),
            {
                self.dispute_invoice.id,
                self.dispute_discount.id,
                self.dispute_loose.id,
            },
        )
        row = disputes[self.dispute_invoice.id]
        self.assertEqual(row["name"], "Pallets broken at Reliable")
        self.assertEqual(row["email_from"], "buyer@reliable.example")
        self.assertIn("private line 555-0199", row["description"])
        self.assertNotIn("<p>", row["description"])
        self.assertNotIn("access_token", row)
        self.assertEqual(
            {row["id"] for row in models["relationship.dispute.discount"]},
            {self.pending_discount.id, self.cancelled_discount.id},
        )
        self.assertEqual(len(models["relationship.trust.snapshot"]), 1)
        self.assertEqual(
            models["relationship.trust.snapshot"][0]["partner_id"][0], self.customer.id
        )
        self.assertEqual(
            [row["description"] for row in models["relationship.event"]],
            ["SLA breached for Reliable Retail"],
        )
        json.dumps(data)
        html, __ = self.env["ir.actions.report"]._render_qweb_html(
            "relationship_mgmt.relationship_privacy_report", self.customer.ids
        )
        self.assertIn(b"Pallets broken at Reliable", html)
        self.assertIn(b"Business Partner Trust Snapshot", html)

    def test_erase_anonymises_disputes_of_documents_and_keeps_the_ledger(self):
        invoice_before = self.invoice.read(
            ["state", "amount_total", "payment_state", "line_ids"]
        )
        credit_before = self.credit_note.read(
            ["state", "amount_total", "reversed_entry_id", "line_ids"]
        )

        counts = self.customer.relationship_erase_data()

        self.assertEqual(counts["relationship.dispute"], 3)
        self.assertEqual(counts["relationship.dispute.discount"], 1)
        self.assertEqual(counts["relationship.trust.snapshot"], 1)
        self.assertEqual(counts["relationship.event"], 1)
        # Deleted: the dispute tied to no document, its cancelled discount,
        # the trust scores and the events.
        self.assertFalse(self.dispute_loose.exists())
        self.assertFalse(self.cancelled_discount.exists())
        self.assertFalse(self._of("relationship.trust.snapshot", self.customer))
        self.assertFalse(self._of("relationship.event", self.customer))
        # Anonymised: the disputes of the invoice and of the pending discount.
        kept = self.dispute_invoice | self.dispute_discount
        self.assertEqual(self._of("relationship.dispute", self.customer), kept)
        for dispute in kept:
            self.assertEqual(dispute.name, "Anonymised dispute")
            self.assertFalse(dispute.description)
            self.assertFalse(dispute.email_from)
            self.assertFalse(dispute.resolution_note)
            self.assertFalse(dispute.access_token)
            self.assertEqual(
                dispute.message_ids.mapped("body"),
                ["<p>Anonymised at the customer's request.</p>"],
            )
            self.assertFalse(
                dispute.message_partner_ids & (self.customer | self.contact)
            )
        self.assertFalse(
            self.env["mail.tracking.value"].search(
                [
                    ("mail_message_id.model", "=", "relationship.dispute"),
                    ("mail_message_id.res_id", "in", kept.ids),
                ]
            )
        )
        # The facts stay: documents, amounts, resolution, discount owed.
        self.assertEqual(self.dispute_invoice.move_id, self.invoice)
        self.assertEqual(self.dispute_invoice.credit_note_ids, self.credit_note)
        self.assertAlmostEqual(self.dispute_invoice.amount_resolved, 100.0)
        self.assertEqual(self.dispute_invoice.resolution_type, "credit_note")
        self.assertEqual(self.pending_discount.state, "pending")
        self.assertAlmostEqual(self.pending_discount.amount, 20.0)
        self.assertEqual(
            self.invoice.read(["state", "amount_total", "payment_state", "line_ids"]),
            invoice_before,
        )
        self.assertEqual(
            self.credit_note.read(
                ["state", "amount_total", "reversed_entry_id", "line_ids"]
            ),
            credit_before,
        )
        # Another customer's data is untouched.
        self.assertEqual(self.dispute_other.name, "Other's dispute")
        self.assertTrue(self._of("relationship.trust.snapshot", self.other))

    def test_no_profiling_partner_gets_no_trust_score(self):
        self.assertTrue(self._of("relationship.trust.snapshot", self.customer))

        self.contact.parent_id.relationship_no_profiling = True

        self.assertFalse(self._of("relationship.trust.snapshot", self.customer))
        result = self.Snapshot.recompute_trust([self.contact.id])
        self.assertEqual(result["computed"], 0)
        self.Snapshot._cron_recompute_trust()
        self.assertFalse(self._of("relationship.trust.snapshot", self.customer))
        self.assertFalse(self.customer.trust_snapshot_id)
        # The others are still scored.
        self.assertTrue(self._of("relationship.trust.snapshot", self.other))
        self.assertEqual(
            self.Snapshot.recompute_trust([self.other.id, self.customer.id])[
                "computed"
            ],
            1,
        )
