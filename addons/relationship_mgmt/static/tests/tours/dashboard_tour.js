/** @odoo-module **/

import { registry } from "@web/core/registry";

// The Relationships app home: read the tier card, then click a tier through
// to the list of its customers.
registry.category("web_tour.tours").add("relationship_mgmt_dashboard", {
    steps: () => [
        {
            content: "The dashboard shows the customers by tier",
            trigger: ".o_relationship_dashboard .o_relationship_card_tiers:contains('Customers by Tier')",
        },
        {
            content: "The churn card is there too",
            trigger: ".o_relationship_dashboard .o_relationship_card_churn",
        },
        {
            content: "Open the champions",
            trigger: ".o_relationship_card_tiers a[data-item='champion']:contains('2')",
            run: "click",
        },
        {
            content: "The list shows the champions, and only them",
            trigger: ".o_list_view .o_data_row:contains('Tour Dash Champion B')",
        },
        {
            content: "Two rows",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Tour Dash Steady'))) .o_data_row:contains('Tour Dash Champion A')",
        },
        {
            content: "Back to the dashboard through the breadcrumb",
            trigger: ".o_breadcrumb .breadcrumb-item:contains('Dashboard')",
            run: "click",
        },
        {
            content: "The dashboard again",
            trigger: ".o_relationship_dashboard .o_relationship_card_tiers",
        },
    ],
});
