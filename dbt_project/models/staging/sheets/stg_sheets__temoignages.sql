-- Testimonies that may be published (docs/spreadsheets.md#temoignages--testimonies): only rows with
-- a written consent (`consentement` true) and its date ever leave raw. A consent withdrawn (the row
-- turned to `non`, or removed) drops the testimony from this table at the next refresh, and so from
-- everything built on it. One row per id, the most recently modified file winning; the text is
-- anonymised by staff, contact details typed by mistake are masked anyway.
with ranked as (
    select
        t.*,
        {{ sheet_id_rank('t.id') }} as id_rank
    from {{ source('sheets', 'sheet_temoignages') }} as t
)

select
    r.id as testimony_id,
    r.date as testimony_date,
    r.programme,
    r.antenne as antenna,
    {{ mask_contact_details('r.texte') }} as testimony_text,
    r.date_consentement as consent_date,
    r.theme,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.id_rank = 1
  and r.consentement
  and r.date_consentement is not null
