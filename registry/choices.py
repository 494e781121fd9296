"""The fixed answers of the register's core questions, shared by models, forms and exports.

Keys are stored in the database; labels are what people read. Changing a label is safe;
changing or removing a key needs a data migration for entries that already use it.
"""

ROLE_CONSULTANT = "consultant"
ROLE_TRAINEE = "trainee"
ROLE_OTHER = "other"
ROLE_CHOICES = [
    (ROLE_CONSULTANT, "Consultant interventional cardiologist"),
    (ROLE_TRAINEE, "Cardiology registrar or fellow"),
    (ROLE_OTHER, "Other"),
]

# The seven NHS England regions, then the three other UK nations.
REGION_CHOICES = [
    ("east_of_england", "East of England"),
    ("london", "London"),
    ("midlands", "Midlands"),
    ("north_east_yorkshire", "North East and Yorkshire"),
    ("north_west", "North West"),
    ("south_east", "South East"),
    ("south_west", "South West"),
    ("scotland", "Scotland"),
    ("wales", "Wales"),
    ("northern_ireland", "Northern Ireland"),
]

EXPERIENCE_CHOICES = [
    ("none", "None yet"),
    ("observed", "I have observed thrombectomy procedures"),
    ("neuro_angiography", "I have done diagnostic cerebral angiography"),
    ("carotid_stenting", "I have done carotid or other neck artery stenting"),
    ("supervised", "I have done thrombectomy under supervision"),
    ("independent", "I do thrombectomy as an independent operator"),
]

INTENTION_WITHIN_12_MONTHS = "within_12_months"
INTENTION_CHOICES = [
    (INTENTION_WITHIN_12_MONTHS, "Within the next 12 months"),
    ("later", "Later than 12 months from now"),
    ("undecided", "Undecided"),
]

# The consent statements, word for word. Bump CONSENT_WORDING_VERSION whenever any of them
# changes: every entry records the version its registrant agreed to.
CONSENT_WORDING_VERSION = "consent-2026-11"
CONSENT_PRIVACY_LABEL = (
    "I have read the privacy notice and agree to my details being kept on this register"
)
CONSENT_CONTACT_LABEL = "Contact me about training opportunities"
CONSENT_SHARE_LABEL = "Share my details with the NHS England thrombectomy programme"
