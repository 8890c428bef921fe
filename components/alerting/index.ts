export { Alerting, ALERT_RULES_NAME, type AlertingArgs } from "./alerting";
export { alertmanagerConfig, alertmanagerConfigSecretName, alertmanagerConfigYaml, alertmanagerValues } from "./alertmanagerConfig";
export { type AlertRule, type AlertRuleGroup, alertRuleGroups, type InstalledSubsystems } from "./rules";
