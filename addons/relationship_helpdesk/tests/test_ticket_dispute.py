from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.relationship_mgmt.tools.rpc import iso

from .common import TODAY, HelpdeskCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTicketDispute(HelpdeskCommon):
    """A ticket that turns out to be about money or goods becomes a dispute
    linked both ways; tickets show in the contact's relationship view and in
    the relationship summary."""

    def test_ticket_becomes_a_dispute_linked_both_ways(self):
        ticket = self._ticket()
        action = ticket.action_create_relationship_dispute()
        dispute = self.env["relationship.dispute"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "relationship.dispute")
        self.assertEqual(
            (
                dispute.name,
                dispute.partner_id,
                dispute.company_id,
                dispute.helpdesk_ticket_id,
                dispute.email_from,
                dispute.dispute_type,
                str(dispute.description),
            ),
            (
                "Pallets arrived damaged",
                self.customer,
                self.env.company,
                ticket,
                "rita@retail.example.com",
                "billing",
                "<p>Two of five pallets were broken.</p>",
            ),
        )
        self.assertEqual(ticket.relationship_dispute_ids, dispute)
        self.assertEqual(ticket.relationship_dispute_count, 1)
        self.assertEqual(dispute.action_view_helpdesk_ticket()["res_id"], ticket.id)
        self.assertIn(dispute.reference, ticket.message_ids[0].body)
        self.assertIn(ticket.number, dispute.message_ids[0].body)
        # Asked again while the dispute is open: the same dispute.
        again = ticket.action_create_relationship_dispute()
        self.assertEqual(again["res_id"], dispute.id)
        self.assertEqual(
            ticket.action_view_relationship_disputes()["domain"],
            [("helpdesk_ticket_id", "=", ticket.id)],
        )

    def test_ticket_without_customer_is_refused(self):
        ticket = self._ticket()
        ticket.partner_id = False
        with self.assertRaises(UserError) as caught:
            ticket.action_create_relationship_dispute()
        self.assertIn("has no customer", str(caught.exception))
        self.assertFalse(ticket.relationship_dispute_ids)

    def test_contact_view_shows_the_customers_open_tickets(self):
        first = self._ticket()
        second = self._ticket(partner=self.customer, name="Invoice address wrong")
        closed = self._ticket(name="Thanks")
        closed.stage_id = self.stage_done
        for partner in (self.customer, self.contact):
            partner.invalidate_recordset()
            self.assertEqual(partner.relationship_open_ticket_ids, first | second)
            self.assertEqual(partner.relationship_open_ticket_count, 2)
            self.assertEqual(partner.relationship_late_ticket_count, 0)

    def test_summary_has_the_tickets(self):
        ticket = self._ticket()
        dispute = self.env["relationship.dispute"].browse(
            ticket.action_create_relationship_dispute()["res_id"]
        )
        summary = self.contact.relationship_summary()[0]["helpdesk"]
        self.assertEqual(
            summary,
            {
                "open_ticket_count": 1,
                "late_ticket_count": 0,
                "reopened_ticket_count": 0,
                "tickets": [
                    {
                        "id": ticket.id,
                        "number": ticket.number,
                        "name": "Pallets arrived damaged",
                        "stage": "New",
                        "date_open": iso(ticket.create_date),
                        "dispute_ids": dispute.ids,
                    }
                ],
            },
        )

    def test_summary_without_ticket_rights_has_counts_only(self):
        self._ticket()
        summary = self.contact.with_user(self.user_relationship).relationship_summary()[
            0
        ]
        self.assertEqual(
            summary["helpdesk"],
            {
                "open_ticket_count": 1,
                "late_ticket_count": 0,
                "reopened_ticket_count": 0,
                "tickets": False,
            },
        )
