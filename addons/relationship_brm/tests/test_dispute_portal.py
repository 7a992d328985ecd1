from odoo import Command, http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from .common import BrmCommon, day


class DisputePortalCommon(BrmCommon):
    """Two customers with a portal user and a dispute each; the first
    customer's salesperson is a Relationships user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dispute = cls.env["relationship.dispute"]
        cls.customer.user_id = cls.user_relationship
        cls.other_customer = cls._customer("Careful Clients")
        cls.portal_ann = cls._portal_user(cls.customer, "brm_portal_ann")
        cls.portal_bob = cls._portal_user(cls.other_customer, "brm_portal_bob")
        cls.agreement = cls._agreement(cls.customer)
        cls.invoice = cls._invoice(
            cls.customer,
            day("2026-05-04"),
            day("2026-06-03"),
            lines=((5.0, 100.0),),
            agreement=cls.agreement,
        )
        cls.other_invoice = cls._invoice(
            cls.other_customer, day("2026-05-05"), day("2026-06-04")
        )
        cls.dispute = cls.Dispute.create(
            {
                "name": "Pallet arrived crushed",
                "partner_id": cls.customer.id,
                "dispute_type": "quality",
                "move_id": cls.invoice.id,
                "amount_disputed": 100.0,
            }
        )
        cls.other_dispute = cls.Dispute.create(
            {
                "name": "Truck came a week late",
                "partner_id": cls.other_customer.id,
                "dispute_type": "delivery",
            }
        )

    @classmethod
    def _portal_user(cls, customer, login):
        contact = cls.env["res.partner"].create(
            {
                "name": f"{login} at {customer.name}",
                "parent_id": customer.id,
                "email": f"{login}@example.com",
            }
        )
        return new_test_user(
            cls.env,
            login=login,
            groups="base.group_portal",
            partner_id=contact.id,
            email=contact.email,
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )


class TestDisputePortalAccess(DisputePortalCommon):
    def test_portal_user_reads_own_disputes_only(self):
        Dispute = self.Dispute.with_user(self.portal_ann)
        self.assertEqual(Dispute.search([]), self.dispute)
        self.assertEqual(
            self.dispute.with_user(self.portal_ann).name, self.dispute.name
        )
        with self.assertRaises(AccessError):
            self.other_dispute.with_user(self.portal_ann).read(["name"])
        with self.assertRaises(AccessError):
            self.dispute.with_user(self.portal_ann).write({"amount_disputed": 1.0})
        with self.assertRaises(AccessError):
            self.dispute.with_user(self.portal_ann).unlink()
        with self.assertRaises(AccessError):
            Dispute.create({"name": "Sneaky", "partner_id": self.customer.id})


@tagged("post_install", "-at_install")
class TestDisputePortalAssets(BrmCommon):
    def test_portal_home_always_lists_the_disputes_card(self):
        # The frontend script that keeps the card shown at zero disputes.
        paths = [
            path
            for path, *_rest in self.env["ir.asset"]._get_asset_paths(
                "web.assets_frontend", {}
            )
        ]
        self.assertTrue(
            any(
                path.endswith(
                    "relationship_brm/static/src/js/portal_dispute_counter.js"
                )
                for path in paths
            )
        )


class TestDisputePortal(DisputePortalCommon, HttpCase):
    """The portal routes: each customer's portal user sees, opens, comments
    and creates only their own commercial partner's disputes, about their own
    documents. Run by pytest with ``--odoo-http``."""

    def _post_new_dispute(self, **fields):
        return self.url_open(
            "/my/disputes/new",
            data={
                "name": "Two units missing",
                "dispute_type": "billing",
                "description": "We were invoiced 5 units and received 3.",
                "csrf_token": http.Request.csrf_token(self),
                **fields,
            },
            allow_redirects=False,
        )

    def _customer_disputes(self, customer):
        return self.Dispute.search([("partner_id", "=", customer.id)])

    def test_portal_lists_only_own_disputes(self):
        for user, own, other in (
            (self.portal_ann, self.dispute, self.other_dispute),
            (self.portal_bob, self.other_dispute, self.dispute),
        ):
            self.authenticate(user.login, user.login)
            page = self.url_open("/my/disputes")
            self.assertEqual(page.status_code, 200)
            self.assertIn(own.name, page.text)
            self.assertNotIn(other.name, page.text)
            counters = self.make_jsonrpc_request(
                "/my/counters", {"counters": ["dispute_count"]}
            )
            self.assertEqual(counters["dispute_count"], 1)

        self.authenticate(self.portal_ann.login, self.portal_ann.login)
        self.assertIn(
            'data-placeholder_count="dispute_count"', self.url_open("/my").text
        )
        self.assertNotIn(
            self.dispute.name, self.url_open("/my/disputes?filterby=closed").text
        )
        self.assertIn(
            self.dispute.name, self.url_open("/my/disputes?filterby=open").text
        )

    def test_portal_refuses_other_customers_dispute(self):
        self.authenticate(self.portal_ann.login, self.portal_ann.login)
        own = self.url_open(f"/my/disputes/{self.dispute.id}")
        self.assertEqual(own.status_code, 200)
        self.assertIn(self.dispute.name, own.text)
        self.assertIn("o_portal_chatter", own.text)
        self.assertIn(f"/my/invoices/{self.invoice.id}?access_token=", own.text)

        for url in (
            f"/my/disputes/{self.other_dispute.id}",
            f"/my/disputes/{self.other_dispute.id}?access_token=guessed",
            "/my/disputes/999999999",
        ):
            refused = self.url_open(url)
            self.assertEqual(refused.status_code, 404, url)
            self.assertNotIn(self.other_dispute.name, refused.text)

    def test_portal_creates_dispute_for_commercial_partner(self):
        self.authenticate(self.portal_ann.login, self.portal_ann.login)
        form = self.url_open("/my/disputes/new")
        self.assertEqual(form.status_code, 200)
        self.assertIn(self.invoice.name, form.text)
        self.assertNotIn(self.other_invoice.name, form.text)
        self.assertIn('name="description"', form.text)

        before = self._customer_disputes(self.customer)
        response = self._post_new_dispute(
            move_id=str(self.invoice.id), amount_disputed="200"
        )
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.env.invalidate_all()
        created = self._customer_disputes(self.customer) - before
        self.assertEqual(len(created), 1)
        self.assertTrue(response.headers["Location"].endswith(created.access_url))
        self.assertRecordValues(
            created,
            [
                {
                    "name": "Two units missing",
                    "partner_id": self.customer.id,
                    "commercial_partner_id": self.customer.id,
                    "dispute_type": "billing",
                    "move_id": self.invoice.id,
                    "amount_disputed": 200.0,
                    "company_id": self.invoice.company_id.id,
                    "agreement_id": self.agreement.id,
                    "user_id": self.user_relationship.id,
                    "email_from": self.portal_ann.email,
                }
            ],
        )
        self.assertIn("received 3", created.description)
        ann, owner = self.portal_ann.partner_id, self.user_relationship.partner_id
        self.assertIn(ann, created.message_partner_ids)
        self.assertIn(owner, created.message_partner_ids)
        comment = created.message_ids.filtered(
            lambda message: message.message_type == "comment"
        )
        self.assertEqual(comment.author_id, ann)
        self.assertIn("received 3", comment.body)
        self.assertIn(owner, comment.notification_ids.res_partner_id)
        self.assertNotIn(ann, comment.notification_ids.res_partner_id)
        # One email to the owner: the customer's message, no "assigned to you".
        mails = self.env["mail.mail"].search(
            [("model", "=", "relationship.dispute"), ("res_id", "=", created.id)]
        )
        self.assertEqual(mails.recipient_ids, owner)
        self.assertEqual(mails.mail_message_id, comment)
        # The portal user sees the dispute they opened.
        self.assertIn(
            "Two units missing", self.url_open(f"/my/disputes/{created.id}").text
        )

    def test_portal_refuses_bad_new_dispute(self):
        self.authenticate(self.portal_ann.login, self.portal_ann.login)
        before = self.Dispute.search([])
        for fields, message in (
            ({"move_id": str(self.other_invoice.id)}, "not one of yours"),
            ({"move_id": "abc"}, "not one of yours"),
            ({"amount_disputed": "-5"}, "cannot be negative"),
            ({"amount_disputed": "nan"}, "must be a number"),
            ({"dispute_type": "bribery"}, "choose the type"),
            ({"name": "  "}, "give your dispute a subject"),
            # Above the 500.00 of the invoice: refused by the model.
            ({"move_id": str(self.invoice.id), "amount_disputed": "900"}, "more than"),
        ):
            response = self._post_new_dispute(**fields)
            self.assertEqual(response.status_code, 400, fields)
            self.assertIn(message, response.text, fields)
        self.env.invalidate_all()
        self.assertEqual(self.Dispute.search([]), before)

    def test_portal_comments_on_own_dispute_only(self):
        self.authenticate(self.portal_ann.login, self.portal_ann.login)
        token = self.dispute._portal_ensure_token()

        def post(dispute, body):
            return self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "relationship.dispute",
                    "thread_id": dispute.id,
                    "post_data": {
                        "body": body,
                        "message_type": "comment",
                        "subtype_xmlid": "mail.mt_comment",
                    },
                    "token": token,
                },
            )

        post(self.dispute, "Photos of the pallet follow.")
        self.env.invalidate_all()
        message = self.dispute.message_ids[:1]
        self.assertIn("Photos of the pallet", message.body)
        self.assertEqual(message.author_id, self.portal_ann.partner_id)

        before = self.other_dispute.message_ids
        with self.assertRaises(JsonRpcException), mute_logger("odoo.http"):
            post(self.other_dispute, "Let me in.")
        self.env.invalidate_all()
        self.assertEqual(self.other_dispute.message_ids, before)

    def test_portal_reports_a_problem_from_own_invoice_and_order(self):
        order = self._sale(self.customer, day("2026-05-02"))
        other_order = self._sale(self.other_customer, day("2026-05-02"))
        self.authenticate(self.portal_ann.login, self.portal_ann.login)
        for url, link in (
            (
                f"/my/invoices/{self.invoice.id}",
                f"/my/disputes/new?move_id={self.invoice.id}",
            ),
            (
                f"/my/orders/{order.id}",
                f"/my/disputes/new?sale_order_id={order.id}",
            ),
        ):
            page = self.url_open(url)
            self.assertEqual(page.status_code, 200, url)
            self.assertIn(link, page.text, url)
            form = self.url_open(link).text
            chosen = link.split("?")[1].split("=")[0]
            self.assertRegex(
                form,
                rf'(?s)name="{chosen}"[^>]*>.*?<option value="{link.split("=")[1]}"'
                r"\s+selected=",
            )
        # Someone else's order id in the URL preselects nothing of theirs.
        form = self.url_open(f"/my/disputes/new?sale_order_id={other_order.id}")
        self.assertEqual(form.status_code, 200)
        self.assertNotIn(other_order.name, form.text)
        self.assertNotIn(
            "selected=",
            form.text.split('name="sale_order_id"')[1].split("</select>")[0],
        )


@tagged("post_install", "-at_install")
class TestDisputePortalTour(DisputePortalCommon, HttpCase):
    """In a real browser: a customer with no dispute yet opens one from the
    portal home."""

    def test_portal_customer_opens_first_dispute_in_browser(self):
        newcomer = self._customer("Newcomer Trading")
        portal_user = self._portal_user(newcomer, "brm_portal_newcomer")
        invoice = self._invoice(newcomer, day("2026-05-06"), day("2026-06-05"))
        self.start_tour(
            "/my", "relationship_brm_portal_dispute", login=portal_user.login
        )
        dispute = self.Dispute.search([("partner_id", "=", newcomer.id)])
        self.assertRecordValues(
            dispute,
            [
                {
                    "name": "Two pallets arrived broken",
                    "dispute_type": "quality",
                    "move_id": invoice.id,
                }
            ],
        )
