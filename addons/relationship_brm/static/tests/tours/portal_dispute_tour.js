/** @odoo-module **/

import { registry } from "@web/core/registry";

// A portal customer with no dispute yet finds the Disputes card on the portal
// home, opens a dispute about their invoice and lands on it.
registry.category("web_tour.tours").add("relationship_brm_portal_dispute", {
    url: "/my",
    steps: () => [
        {
            content: "The Disputes card is on the portal home, even at zero",
            trigger: ".o_portal_index_card:not(.d-none) a[href='/my/disputes']",
            run: "click",
        },
        {
            content: "No dispute yet: open a new one",
            trigger: "a.btn[href='/my/disputes/new']",
            run: "click",
        },
        {
            content: "Subject",
            trigger: "form.o_portal_dispute_form input[name='name']",
            run: "edit Two pallets arrived broken",
        },
        {
            content: "Type",
            trigger: "select[name='dispute_type']",
            run: "select quality",
        },
        {
            content: "The invoice it is about",
            trigger: "select[name='move_id']",
            run: "selectByIndex 1",
        },
        {
            content: "Description",
            trigger: "textarea[name='description']",
            run: "edit The forklift pierced both pallets.",
        },
        {
            content: "Submit",
            trigger: "form.o_portal_dispute_form button[type='submit']",
            run: "click",
        },
        {
            content: "The dispute page, with the customer's message",
            trigger: ".o_portal_wrap:contains('Two pallets arrived broken'):contains('The forklift pierced both pallets.')",
        },
    ],
});
