/** @odoo-module **/

import { registry } from "@web/core/registry";

// A manager filters the customers of an RFM segment, selects them all and
// enrols them in a manual program from the Action menu.
registry.category("web_tour.tours").add("relationship_mgmt_program_enrol_segment", {
    steps: () => [
        {
            content: "Open the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Only the Champions of the RFM segments",
            trigger: ".o_filter_menu .dropdown-item:contains('Champions (RFM)')",
            run: "click",
        },
        {
            content: "The segment's customers only",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Tour Sleeper'))) .o_data_row:contains('Tour Champion B')",
        },
        {
            content: "Select them all",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "check",
        },
        {
            content: "The Action menu",
            trigger: ".o_control_panel .o_cp_action_menus button",
            run: "click",
        },
        {
            content: "Enrol in a Program",
            trigger: ".o-dropdown--menu .dropdown-item:contains('Enrol in a Program')",
            run: "click",
        },
        {
            content: "The selected customers are the target",
            trigger: ".modal div[name='partner_ids']:contains('Tour Champion A'):contains('Tour Champion B')",
        },
        {
            content: "The program",
            trigger: ".modal div[name='program_id'] input",
            run: "edit Tour Welcome",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains('Tour Welcome')",
            run: "click",
        },
        {
            content: "Enrol",
            trigger: ".modal button[name='action_enrol']",
            run: "click",
        },
        {
            content: "What was done",
            trigger: ".o_notification:contains('2 customers enrolled in Tour Welcome')",
        },
    ],
});
