/** @odoo-module **/

import { registry } from "@web/core/registry";

function inAWeek() {
    // The date as the test user (en_US) types it.
    const day = new Date();
    day.setDate(day.getDate() + 7);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(day.getMonth() + 1)}/${pad(day.getDate())}/${day.getFullYear()}`;
}

// From a contact: log a call with a follow-up, then find it in the contact's
// chatter, its interaction counter and its planned activities.
registry.category("web_tour.tours").add("relationship_mgmt_interaction_log", {
    steps: () => [
        {
            content: "Log an interaction from the contact",
            trigger: ".o_form_view button[name='action_log_relationship_interaction']",
            run: "click",
        },
        {
            content: "What it was about",
            trigger: ".modal div[name='name'] input",
            run: "edit Call about the spring renewal",
        },
        {
            content: "A follow-up in a week",
            trigger: ".modal div[name='date_follow_up'] input",
            run: `edit ${inAWeek()}`,
        },
        {
            content: "Close the date picker",
            trigger: ".modal div[name='name'] input",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".modal .modal-footer .o_form_button_save",
            run: "click",
        },
        {
            content: "The note is in the contact's chatter",
            trigger: ".o-mail-Chatter:not(:has(.modal)) .o-mail-Message:contains('Call about the spring renewal')",
        },
        {
            content: "The interaction counter",
            trigger: ".o-form-buttonbox button[name='action_view_relationship_interactions']:contains('1')",
        },
        {
            content: "The follow-up is planned",
            trigger: ".o-mail-Chatter .o-mail-Activity:contains('Follow up: Call about the spring renewal')",
        },
    ],
});
