{#- Layers are schemas named exactly raw / staging / intermediate / marts / reference, whatever
    the target: BI tools and the quality gate address them by these names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
