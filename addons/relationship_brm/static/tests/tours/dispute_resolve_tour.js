/** @odoo-module **/

import { registry } from "@web/core/registry";

// From a customer invoice: open a dispute, then choose the Resolved stage in
// the status bar, which opens the resolution window; credit the disputed
// amount with a credit note.
registry.category("web_tour.tours").add("relationship_brm_dispute_credit_note", {
    steps: () => [
        {
            content: "Open a dispute from the invoice",
            trigger: ".o_form_view button[name='action_open_relationship_dispute']",
            run: "click",
        },
        {
            content: "Amount disputed",
            trigger: ".o_form_view div[name='amount_disputed'] input",
            run: "edit 100",
        },
        {
            content: "Save the dispute",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "The folded stages of the status bar",
            trigger: ".o_statusbar_status .dropdown-toggle.o_first",
            run: "click",
        },
        {
            content: "Choose Resolved",
            trigger: ".dropdown-item:contains('Resolved')",
            run: "click",
        },
        {
            content: "The resolution window opens, as a credit note",
            trigger: ".modal div[name='resolution_type'] input[data-value='credit_note']",
            run: "click",
        },
        {
            content: "Resolve",
            trigger: ".modal button[name='action_resolve']:contains('Resolve')",
            run: "click",
        },
        {
            content: "The dispute is resolved",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains('Resolved')",
        },
    ],
});
