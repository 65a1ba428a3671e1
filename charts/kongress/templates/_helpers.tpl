{{/* Names, labels and the pieces the templates share. Nothing here reads the cluster. */}}

{{- define "kongress.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kongress.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Kong's resources with mode gateway: <fullname>-kong, shortened so "-admin" still fits. */}}
{{- define "kongress.kongName" -}}
{{- printf "%s-kong" (include "kongress.fullname" . | trunc 52 | trimSuffix "-") -}}
{{- end -}}

{{- define "kongress.proxyServiceName" -}}
{{- printf "%s-proxy" (include "kongress.fullname" . | trunc 56 | trimSuffix "-") -}}
{{- end -}}

{{- define "kongress.adminServiceName" -}}
{{- printf "%s-admin" (include "kongress.fullname" . | trunc 56 | trimSuffix "-") -}}
{{- end -}}

{{- define "kongress.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kongress.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kongress.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "kongress.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kongress.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kongress.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "kongress.kongSelectorLabels" -}}
app.kubernetes.io/name: {{ include "kongress.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: kong
{{- end -}}

{{/* repository:tag or repository@digest. Args: dict "image" <values> "default" <tag>. */}}
{{- define "kongress.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .default .image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "kongress.validate" -}}
{{- $mode := .Values.kong.mode -}}
{{- if and (eq $mode "gateway") (not .Values.kong.admin.tls.secretName) -}}
{{- fail "kong.mode gateway needs kong.admin.tls.secretName: a kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) for Kong's Admin API" -}}
{{- end -}}
{{- if eq $mode "external" -}}
{{- $ext := .Values.externalKong -}}
{{- if and (not $ext.adminUrls) (not $ext.adminService.name) -}}
{{- fail "kong.mode external needs externalKong.adminUrls or externalKong.adminService.name" -}}
{{- end -}}
{{- if and $ext.adminUrls $ext.adminService.name -}}
{{- fail "externalKong.adminUrls and externalKong.adminService.name exclude each other: which Kongs get the config would be unclear" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The Kong container (sidecar in the controller pod, or the Kong Deployment's). Args: the root context and "sidecar" bool. */}}
{{- define "kongress.kongContainer" -}}
{{- $root := .root -}}
{{- $kong := $root.Values.kong -}}
- name: kong
  image: {{ include "kongress.image" (dict "image" $kong.image "default" "latest") }}
  imagePullPolicy: {{ $kong.image.pullPolicy }}
  env:
    - name: KONG_DATABASE
      value: "off"
    - name: KONG_PREFIX
      value: /kong_prefix
    - name: KONG_PROXY_LISTEN
      value: "0.0.0.0:8000, 0.0.0.0:8443 http2 ssl"
    {{- if .sidecar }}
    - name: KONG_ADMIN_LISTEN
      value: "127.0.0.1:8001"
    {{- else }}
    - name: KONG_ADMIN_LISTEN
      value: "0.0.0.0:{{ $kong.admin.port }} http2 ssl"
    - name: KONG_ADMIN_SSL_CERT
      value: /etc/kong/admin-tls/tls.crt
    - name: KONG_ADMIN_SSL_CERT_KEY
      value: /etc/kong/admin-tls/tls.key
    {{- end }}
    - name: KONG_STATUS_LISTEN
      value: "0.0.0.0:8100"
    - name: KONG_PROXY_ACCESS_LOG
      value: /dev/stdout
    - name: KONG_PROXY_ERROR_LOG
      value: /dev/stderr
    - name: KONG_ADMIN_ACCESS_LOG
      value: /dev/stdout
    - name: KONG_ADMIN_ERROR_LOG
      value: /dev/stderr
    - name: KONG_NGINX_WORKER_PROCESSES
      value: "2"
    {{- with $kong.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: proxy
      containerPort: 8000
      protocol: TCP
    - name: proxy-tls
      containerPort: 8443
      protocol: TCP
    {{- if not .sidecar }}
    - name: admin-tls
      containerPort: {{ $kong.admin.port }}
      protocol: TCP
    {{- end }}
    - name: status
      containerPort: 8100
      protocol: TCP
  # Kong answers /status/ready only once it holds a config: the controller pushes it.
  readinessProbe:
    httpGet:
      path: /status/ready
      port: status
    periodSeconds: 5
    timeoutSeconds: 5
    failureThreshold: 3
  livenessProbe:
    httpGet:
      path: /status
      port: status
    initialDelaySeconds: 5
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 3
  lifecycle:
    preStop:
      exec:
        command: ["kong", "quit", "--wait=15"]
  resources:
    {{- toYaml $kong.resources | nindent 4 }}
  securityContext:
    {{- toYaml $kong.securityContext | nindent 4 }}
  volumeMounts:
    - name: kong-prefix
      mountPath: /kong_prefix
    - name: kong-tmp
      mountPath: /tmp
    {{- if not .sidecar }}
    - name: admin-tls
      mountPath: /etc/kong/admin-tls
      readOnly: true
    {{- end }}
{{- end -}}
