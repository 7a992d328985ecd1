/** @odoo-module **/

import { registry } from "@web/core/registry";

// A manager negotiates a draft agreement: a first proposal, the partner's
// counter-offer, accepted; the agreement is activated on the accepted terms.
registry.category("web_tour.tours").add("relationship_brm_agreement_negotiate", {
    steps: () => [
        {
            content: "Start negotiating",
            trigger: ".o_form_view .o_form_statusbar button[name='action_start_negotiation']",
            run: "click",
        },
        {
            content: "The status bar says Negotiation",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Negotiation')",
        },
        {
            content: "The Negotiation tab",
            trigger: ".o_notebook a.nav-link:contains('Negotiation')",
            run: "click",
        },
        {
            content: "A first proposal",
            trigger: ".tab-pane.active div[name='round_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Our proposed value",
            trigger: ".modal div[name='amount'] input",
            run: "edit 10000",
        },
        {
            content: "Save the proposal",
            trigger: ".modal .modal-footer .o_form_button_save",
            run: "click",
        },
        {
            content: "Save the agreement with its first round",
            trigger: ".o_form_view:not(:has(.modal)) .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the round has its number",
            trigger: ".o_form_view .o_form_saved div[name='round_ids'] .o_data_row:contains('10,000') td[name='sequence']:contains('1')",
        },
        {
            content: "The partner counters it",
            trigger: ".tab-pane.active div[name='round_ids'] .o_data_row:contains('10,000') button[name='action_counter']",
            run: "click",
        },
        {
            content: "The counter-offer's value",
            trigger: ".modal div[name='amount'] input",
            run: "edit 12500",
        },
        {
            content: "Save the counter-offer",
            trigger: ".modal .modal-footer .o_form_button_save",
            run: "click",
        },
        {
            content: "The first round is countered",
            trigger: ".o_form_view:not(:has(.modal)) div[name='round_ids'] .o_data_row:contains('10,000'):contains('Countered')",
        },
        {
            content: "Accept the counter-offer",
            trigger: "div[name='round_ids'] .o_data_row:contains('12,500') button[name='action_accept']",
            run: "click",
        },
        {
            content: "Accepted",
            trigger: "div[name='round_ids'] .o_data_row:contains('12,500'):contains('Accepted')",
        },
        {
            content: "Activate",
            trigger: ".o_form_statusbar button[name='action_activate']",
            run: "click",
        },
        {
            content: "The status bar says Active",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Active')",
        },
        {
            content: "The agreement took the accepted value",
            trigger: ".o_form_view div[name='amount_committed']:contains('12,500')",
        },
    ],
});
