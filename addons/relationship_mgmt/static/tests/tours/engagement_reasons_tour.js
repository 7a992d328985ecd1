/** @odoo-module **/

import { registry } from "@web/core/registry";

// A Relationships user opens a customer's engagement and reads why it scores
// what it scores, then recomputes it from the contact.
registry.category("web_tour.tours").add("relationship_mgmt_engagement_reasons", {
    steps: () => [
        {
            content: "The customer's engagement row",
            trigger: ".o_data_row:contains('Tour Customer') td.o_data_cell:first",
            run: "click",
        },
        {
            content: "The score comes with its reasons in words",
            trigger: ".o_form_view:contains('Last order 12 days ago')",
        },
    ],
});
