//! Named reports: the documented, parameterised SPARQL queries in
//! `queries/`, every one of them compiled into the binary (`build.rs`
//! lists the directory).
//!
//! Each `.rq` file starts with comment lines: the first says what the report
//! answers, `# @param NAME TYPE DEFAULT  description` lines declare its
//! parameters. In the query a parameter is the variable `?NAME`, bound to
//! the given value (or its default) by a `VALUES` row joined first into the
//! query's outermost `WHERE` group — in the parsed algebra, never in the
//! text (`sparql::query::bind`) — so use parameters in that group (its
//! filters, or patterns joined there), not only inside nested groups, which
//! are evaluated before the join. A group that starts with a `UNION` is the
//! exception: the row goes into each branch, and into the first triple
//! patterns of a branch that mention every parameter, with the values in
//! place of the variables, so that a report on one asset reads only what
//! concerns it (`audit-trail-of-asset`). `DEFAULT` is `-` for a parameter that may
//! stay unbound, which the query then handles with `BOUND(?NAME)`, and `!`
//! for one the caller must give. Types: `integer`, `decimal`, `date`,
//! `dateTime`, `string`, `iri`, `boolean`. A `# @chart …` line declares the
//! report's chart (see [`chart`]).

pub mod chart;

use crate::error::{Error, Result};
use oxigraph::model::vocab::xsd;
use oxigraph::model::{Literal, NamedNode, Term, Variable};
use std::collections::HashMap;

include!(concat!(env!("OUT_DIR"), "/reports.rs"));

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub name: &'static str,
    /// What the report answers (its comment lines, joined).
    pub description: String,
    pub parameters: Vec<Parameter>,
    /// The picture of its results, when one says more than the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<chart::Chart>,
    /// The SPARQL text, its parameters as variables.
    #[serde(rename = "query")]
    pub text: &'static str,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// None: the parameter may stay unbound, unless it is required.
    pub default: Option<String>,
    /// The caller must give it.
    pub required: bool,
    pub description: String,
}

/// Every report, sorted by name.
pub fn all() -> Vec<Report> {
    let mut reports: Vec<Report> = FILES.iter().map(|(name, text)| read(name, text)).collect();
    reports.sort_by_key(|r| r.name);
    reports
}

/// One report, or `NotFound` naming the ones there are.
pub fn find(name: &str) -> Result<Report> {
    all()
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| Error::NotFound {
            what: format!(
                "report '{name}' (reports: {})",
                FILES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        })
}

fn read(name: &'static str, text: &'static str) -> Report {
    let mut description = Vec::new();
    let mut parameters = Vec::new();
    let mut drawn = None;
    for line in text.lines().map(str::trim).take_while(|l| l.starts_with('#')) {
        let line = line.trim_start_matches('#').trim();
        if let Some(declaration) = line.strip_prefix("@param") {
            let mut parts = declaration.split_whitespace();
            let (Some(name), Some(kind), Some(default)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            parameters.push(Parameter {
                name: name.to_owned(),
                kind: kind.to_owned(),
                default: (default != "-" && default != "!").then(|| default.to_owned()),
                required: default == "!",
                description: parts.collect::<Vec<_>>().join(" "),
            });
        } else if let Some(declaration) = line.strip_prefix("@chart") {
            drawn = chart::Chart::parse(declaration);
        } else if !line.is_empty() {
            description.push(line);
        }
    }
    Report {
        name,
        description: description.join(" "),
        parameters,
        chart: drawn,
        text,
    }
}

impl Report {
    /// The values of the parameters, from what the caller gave (as text)
    /// and the defaults. Unknown names and ill-typed values are errors.
    pub fn bindings(&self, given: &HashMap<String, String>) -> Result<Vec<(Variable, Term)>> {
        if let Some(unknown) = given.keys().find(|k| !self.parameters.iter().any(|p| &p.name == *k)) {
            let known: Vec<&str> = self.parameters.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::invalid_field(
                unknown.as_str(),
                if known.is_empty() {
                    format!("report '{}' takes no parameters", self.name)
                } else {
                    format!("report '{}' takes {}", self.name, known.join(", "))
                },
            ));
        }
        let mut bindings = Vec::new();
        for parameter in &self.parameters {
            let Some(value) = given.get(&parameter.name).or(parameter.default.as_ref()) else {
                if parameter.required {
                    return Err(Error::invalid_field(
                        parameter.name.as_str(),
                        format!(
                            "report '{}' needs {}: {}",
                            self.name, parameter.name, parameter.description
                        ),
                    ));
                }
                continue;
            };
            let term = typed(&parameter.kind, value).map_err(|expected| {
                Error::invalid_field(parameter.name.as_str(), format!("'{value}' is not {expected}"))
            })?;
            bindings.push((Variable::new_unchecked(parameter.name.as_str()), term));
        }
        Ok(bindings)
    }
}

/// A parameter's text as a term of its type, or what was expected.
fn typed(kind: &str, value: &str) -> std::result::Result<Term, &'static str> {
    let literal = |datatype| Literal::new_typed_literal(value, datatype).into();
    Ok(match kind {
        "integer" => {
            value.parse::<i64>().map_err(|_| "a whole number")?;
            literal(xsd::INTEGER)
        }
        "decimal" => {
            value.parse::<f64>().map_err(|_| "a number")?;
            literal(xsd::DECIMAL)
        }
        "date" => {
            time::Date::parse(value, &time::format_description::well_known::Iso8601::DATE)
                .map_err(|_| "a date such as 2026-12-31")?;
            literal(xsd::DATE)
        }
        "dateTime" => {
            crate::rdf::time::parse(value).ok_or("a date-time such as 2026-12-31T00:00:00Z")?;
            literal(xsd::DATE_TIME)
        }
        "iri" => NamedNode::new(value).map_err(|_| "an absolute IRI")?.into(),
        "boolean" => match value {
            "true" | "false" => literal(xsd::BOOLEAN),
            _ => return Err("true or false"),
        },
        _ => Literal::new_simple_literal(value).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_says_what_it_answers_and_parses() {
        for report in all() {
            assert!(!report.description.is_empty(), "{} has no description", report.name);
            let bindings = report
                .parameters
                .iter()
                .map(|p| {
                    let value = p.default.clone().unwrap_or_else(|| match p.kind.as_str() {
                        "iri" => "http://example.org/x".into(),
                        "dateTime" => "2026-01-01T00:00:00Z".into(),
                        "date" => "2026-01-01".into(),
                        _ => "1".into(),
                    });
                    (
                        Variable::new_unchecked(p.name.as_str()),
                        typed(&p.kind, &value).unwrap(),
                    )
                })
                .collect::<Vec<_>>();
            let mut query = spargebra::SparqlParser::new()
                .parse_query(report.text)
                .unwrap_or_else(|e| panic!("{}: {e}", report.name));
            crate::sparql::query::bind(&mut query, &bindings).unwrap();
            if let Some(chart) = &report.chart {
                for variable in [&chart.label, &chart.value] {
                    assert!(
                        chart::selects(report.text, variable),
                        "{} charts ?{variable}, which it does not select",
                        report.name
                    );
                }
            }
            for p in &report.parameters {
                if let Some(default) = &p.default {
                    typed(&p.kind, default)
                        .unwrap_or_else(|e| panic!("{} {}: default is not {e}", report.name, p.name));
                }
            }
        }
    }

    #[test]
    fn a_required_parameter_must_be_given() {
        let report = read("t", "# A test.\n# @param asset iri !  The asset.\nSELECT * {}");
        assert!(report.parameters[0].required);
        let Err(Error::Invalid { field, .. }) = report.bindings(&HashMap::new()) else {
            panic!("a missing required parameter was accepted")
        };
        assert_eq!(field.as_deref(), Some("asset"));
        let given = HashMap::from([("asset".to_owned(), "urn:assetgraph:asset:x".to_owned())]);
        assert_eq!(report.bindings(&given).unwrap().len(), 1);
    }

    #[test]
    fn parameters_are_typed_and_unknown_ones_refused() {
        let report = read("t", "# A test.\n# @param days integer 30  How far ahead.\nSELECT * {}");
        assert_eq!(report.parameters[0].default.as_deref(), Some("30"));
        let bound = report.bindings(&HashMap::new()).unwrap();
        assert_eq!(bound[0].1, Literal::new_typed_literal("30", xsd::INTEGER).into());
        let bad = HashMap::from([("days".to_owned(), "soon".to_owned())]);
        assert!(report.bindings(&bad).is_err());
        let unknown = HashMap::from([("weeks".to_owned(), "2".to_owned())]);
        assert!(report.bindings(&unknown).is_err());
    }
}
