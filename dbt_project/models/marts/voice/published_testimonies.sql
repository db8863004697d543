-- The participants' voice that may leave the organisation (docs/outputs.md#the-participants-voice):
-- the testimonies of the `temoignages` spreadsheet with a written consent and its date, already
-- filtered in staging. Nothing here leads back to a row of the sheet: no id, no file or row
-- number; the key is a hash of what is published. A consent withdrawn (the row turned `non`, or
-- removed from the sheet) leaves staging at the next refresh, and so this mart and every
-- deliverable generated after it.
with consented as (
    select
        t.testimony_date,
        t.programme,
        t.antenna,
        t.theme,
        t.testimony_text,
        t.consent_date,
        md5(concat(cast(t.testimony_date as varchar), '|', t.programme, '|', t.antenna, '|',
                   t.testimony_text)) as testimony_key
    from {{ ref('stg_sheets__temoignages') }} as t
),

-- the same testimony typed twice (two ids, same date, scope and text) is published once
deduplicated as (
    select
        c.*,
        row_number() over (partition by c.testimony_key
                           order by c.consent_date, c.theme) as copy_number
    from consented as c
),

programmes as (
    select upper(trim(programme)) as programme, label_fr from {{ ref('programme_reference') }}
)

select
    d.testimony_key,
    d.testimony_date,
    {{ quarter_label_fr('d.testimony_date') }} as testimony_quarter_label_fr,
    d.programme,
    {{ programme_label_fr('d.programme', 'pr.label_fr') }} as programme_label_fr,
    d.antenna,
    {{ antenna_label_fr('d.antenna') }} as antenna_label_fr,
    d.theme,
    d.testimony_text,
    d.consent_date,
    {{ as_of_date() }} as as_of
from deduplicated as d
left join programmes as pr
    on pr.programme = d.programme
where d.copy_number = 1
