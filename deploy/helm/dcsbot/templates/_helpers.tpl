{{/* Names, labels and the rules the values must follow. */}}

{{- define "dcsbot.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dcsbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "dcsbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dcsbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "dcsbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "dcsbot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "dcsbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "dcsbot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "dcsbot.secretName" -}}
{{- default (include "dcsbot.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "dcsbot.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The store driver, with the bot's default. */}}
{{- define "dcsbot.storeDriver" -}}
{{- dig "store" "driver" "sqlite" (.Values.config | default dict) -}}
{{- end -}}

{{/* Where the probes and Prometheus reach the bot. */}}
{{- define "dcsbot.listen" -}}0.0.0.0:8080{{- end -}}

{{/*
The bot's config.yaml: the config values with http.listen set so the
probes reach the bot. The rules that span several values fail here.
*/}}
{{- define "dcsbot.config" -}}
{{- $replicas := int .Values.replicas -}}
{{- if lt $replicas 1 -}}
{{- fail (printf "replicas is %d: run at least 1" $replicas) -}}
{{- end -}}
{{- if gt $replicas 10 -}}
{{- fail (printf "replicas is %d: Slack allows at most 10 Socket Mode connections per app" $replicas) -}}
{{- end -}}
{{- $driver := include "dcsbot.storeDriver" . -}}
{{- if and (gt $replicas 1) (ne $driver "postgres") -}}
{{- fail (printf "replicas is %d but config.store.driver is %q: more than one replica needs store.driver: postgres (replicas must not share an SQLite file)" $replicas $driver) -}}
{{- end -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- $http := get $cfg "http" | default dict -}}
{{- $listen := include "dcsbot.listen" . -}}
{{- if and (hasKey $http "listen") (ne (toString $http.listen) $listen) -}}
{{- fail (printf "config.http.listen is %q: in the pod it must be %s (the probes and metrics use it); leave it out" (toString $http.listen) $listen) -}}
{{- end -}}
{{- $_ := set $http "listen" $listen -}}
{{- $_ := set $cfg "http" $http -}}
{{- toYaml $cfg -}}
{{- end -}}
