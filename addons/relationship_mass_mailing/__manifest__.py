{
    "name": "Relationships - Mass Mailing",
    "summary": "Mail the engagement segments (tier, RFM, churn, programs) with Odoo "
    "mass mailing; mailing traces as interactions; each customer's best channel",
    "version": "18.0.1.0.0",
    "category": "Sales/Relationships",
    "website": "https://github.com/relationship-erp/odoo-relationships",
    "author": "Relationship ERP contributors",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["relationship_mgmt", "mass_mailing"],
    "data": [
        "data/mailing_filter_data.xml",
        "views/res_partner_views.xml",
    ],
}
