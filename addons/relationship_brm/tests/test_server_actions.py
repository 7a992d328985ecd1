from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, BrmCommon, day


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestServerActions(BrmCommon):
    def test_measure_obligations_of_selected_agreements(self):
        measured = self._agreement(self.customer)
        obligation = self._obligation(measured, "on_time_delivery", 95.0)
        untouched = self._agreement(self.vendor)
        other = self._obligation(untouched, "on_time_delivery", 95.0)
        order = self._sale(self.customer, day("2026-05-01"))
        self._deliver(order.picking_ids, day("2026-05-10"), day("2026-05-14"))
        action = self.env.ref(
            "relationship_brm.relationship_agreement_action_refresh_obligations"
        )
        self.assertEqual(action.binding_model_id.model, "relationship.agreement")

        result = (
            action.with_user(self.user_relationship)
            .with_context(active_model=measured._name, active_ids=measured.ids)
            .run()
        )

        self.assertEqual(result["params"]["counts"]["breaches"], 1)
        self.assertTrue(self._periods(obligation))
        self.assertFalse(self._periods(other))
        self.assertEqual(measured.breach_count, 1)
