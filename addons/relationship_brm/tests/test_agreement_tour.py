from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import BrmCommon


@tagged("post_install", "-at_install")
class TestAgreementNegotiationTour(BrmCommon, HttpCase):
    """In a real browser, as a Relationships manager: negotiate a draft
    agreement (proposal, counter-offer, acceptance) and activate it."""

    def test_negotiate_and_activate_an_agreement(self):
        # Dated from the real today: the browser's server does not run frozen.
        agreement = self._agreement(
            self.customer,
            date_start=fields.Date.today(),
            activate=False,
            amount_committed=0.0,
        )
        self.assertEqual(agreement.state, "draft")
        self.start_tour(
            f"/odoo/action-relationship_brm.relationship_agreement_action/{agreement.id}",
            "relationship_brm_agreement_negotiate",
            login=self.user_manager.login,
        )
        self.assertEqual(agreement.state, "active")
        self.assertEqual(
            agreement.round_ids.sorted("sequence").mapped("state"),
            ["countered", "accepted"],
        )
        self.assertEqual(agreement.accepted_round_id.amount, 12500.0)
        self.assertEqual(agreement.accepted_round_id.proposed_by, "partner")
        self.assertEqual(agreement.amount_committed, 12500.0)
