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

# The experience question's wording and answers are set per register (InterestRegisterPage);
# these are the defaults, the stroke thrombectomy register's. Entries store the answer's label
# (what the person chose, word for word), so a register's answers can be reworded without a
# migration. The keys below are only those older entries were stored under (migration 0006).
DEFAULT_SECTION_HEADING = "Thrombectomy experience and training"
DEFAULT_EXPERIENCE_LABEL = "Experience relevant to thrombectomy"
DEFAULT_EXPERIENCE_HINT = "Choose the one that describes your most advanced experience."
DEFAULT_EXPERIENCE_REQUIRED = "Select your experience relevant to thrombectomy"
EXPERIENCE_CHOICES = [
    ("none", "None yet"),
    ("observed", "I have observed thrombectomy procedures"),
    ("neuro_angiography", "I have done diagnostic cerebral angiography"),
    ("carotid_stenting", "I have done carotid or other neck artery stenting"),
    ("supervised", "I have done thrombectomy under supervision"),
    ("independent", "I do thrombectomy as an independent operator"),
]

DEFAULT_EXPERIENCE_ANSWERS = "\n".join(label for _, label in EXPERIENCE_CHOICES)

# The training-intention question: its wording is set per register, its answers are a fixed
# scale, so that counts and exports compare across registers.
DEFAULT_INTENTION_LABEL = "When do you intend to seek thrombectomy training?"
DEFAULT_INTENTION_HINT = "Your best estimate today; you can change it later."
DEFAULT_INTENTION_REQUIRED = "Select when you intend to seek thrombectomy training"
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

# The sharing consent names a partner programme set per register; its words are built here.
DEFAULT_PARTNER_NAME = "NHS England thrombectomy programme"
DEFAULT_PARTNER_PURPOSE = "plans the national thrombectomy workforce"


def consent_share_label(partner_name):
    return f"Share my details with the {partner_name}"


def consent_share_hint(partner_purpose):
    return (
        "Optional. Your name, hospital, region and training plans are passed to the "
        f"programme that {partner_purpose}."
    )


CONSENT_SHARE_LABEL = consent_share_label(DEFAULT_PARTNER_NAME)
