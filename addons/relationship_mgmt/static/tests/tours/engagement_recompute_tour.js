/** @odoo-module **/

import { registry } from "@web/core/registry";

// From a customer waiting for its first score: recompute it from the contact,
// read what the notification says, then the score and its reasons.
registry.category("web_tour.tours").add("relationship_mgmt_engagement_recompute", {
    steps: () => [
        {
            content: "The Engagement tab of the contact",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Engagement')",
            run: "click",
        },
        {
            content: "Waiting for its first score: recompute now",
            trigger: ".o_notebook .tab-pane.active:contains('New') button[name='action_recompute_engagement']:contains('Recompute')",
            run: "click",
        },
        {
            content: "The notification says what was done",
            trigger: ".o_notification:contains('Engagement recomputed'):contains('Customers scored: 1')",
        },
        {
            content: "The contact shows its score and its reasons",
            trigger: ".o_notebook .tab-pane.active:contains('Last order 5 days ago')",
        },
        {
            content: "The engagement smart button shows the tier",
            trigger: ".o-form-buttonbox button[name='action_view_engagement_history']:not(:contains('New'))",
        },
    ],
});
