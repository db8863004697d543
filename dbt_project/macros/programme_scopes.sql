{#- The programme scopes a record typed with `programme` counts in: the programme itself and its
    ancestors (int_programme_ancestry), and `ALL`; a record typed TOUS (staged `ALL`) counts in
    `ALL` only (docs/indicators.md#scopes). `records` is a relation or CTE with a `programme`
    column; the result maps each typed programme to each scope programme. -#}
{% macro programme_scopes(records) -%}
    select distinct r.programme, coalesce(a.ancestor_programme, r.programme) as scope_programme
    from {{ records }} as r
    left join {{ ref('int_programme_ancestry') }} as a
        on a.programme = r.programme
    where r.programme <> 'ALL'
    union
    select distinct programme, 'ALL' as scope_programme
    from {{ records }}
{%- endmacro %}
