# Compute: an ECS Fargate cluster running one `orion core` (the single writer: never two at
# once, so deployments stop the old task before starting the new one) and `orion bff` replicas
# that scale on CPU and on connections per task; an ALB in the public subnets terminating TLS,
# with an HTTP target group for REST/WebSocket and an HTTP/2 gRPC target group for the core's
# public services; Cloud Map so replicas reach the core at core.<namespace>.

data "aws_region" "current" {}

locals {
  image = "${var.image_repository}:${var.image_tag}"
  common_env = [
    { name = "ORION_ENV", value = var.topic_prefix },
    { name = "RUST_LOG", value = "info" },
  ]
  log_config = {
    for role in ["core", "bff"] : role => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_groups[role]
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = role
      }
    }
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_service_discovery_private_dns_namespace" "this" {
  name = "${var.name}.internal"
  vpc  = var.vpc_id
}

resource "aws_service_discovery_service" "core" {
  name = "core"
  dns_config {
    namespace_id = aws_service_discovery_private_dns_namespace.this.id
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
  health_check_custom_config {
    failure_threshold = 1
  }
}

# ---------------------------------------------------------------------------------------------
# Load balancer

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:WAF is optional (PRD §12.4); the web ACL passed in var.waf_acl_arn carries its own managed rules.
  #checkov:skip=CKV2_AWS_28:WAF is optional in PRD §12.4; attach one with var.waf_acl_arn (associated below when set).
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [var.security_group_ids.alb]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 3600 # WebSocket sessions stay open through quiet markets
  access_logs {
    bucket  = var.logs_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count        = var.waf_acl_arn == null ? 0 : 1
  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.waf_acl_arn
}

resource "aws_lb_target_group" "bff" {
  name                 = "${var.name}-bff"
  port                 = var.http_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
  stickiness {
    type    = "lb_cookie"
    enabled = false
  }
}

resource "aws_lb_target_group" "grpc" {
  #checkov:skip=CKV_AWS_378:TLS terminates at the ALB; targets are tasks in private subnets reachable only from the ALB's security group, and the core's gRPC server listens in cleartext HTTP/2.
  name             = "${var.name}-grpc"
  port             = var.grpc_port
  protocol         = "HTTP"
  protocol_version = "GRPC"
  target_type      = "ip"
  vpc_id           = var.vpc_id
  health_check {
    path    = "/grpc.health.v1.Health/Check"
    matcher = "0"
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.bff.arn
  }
}

# The public gRPC services (orion.v1.*) go to the core; its replica link (orion.internal.*)
# is not routed at all.
resource "aws_lb_listener_rule" "grpc" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.grpc.arn
  }
  condition {
    path_pattern {
      values = ["/orion.v1.*", "/grpc.health.v1.*", "/grpc.reflection.*"]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Tasks

resource "aws_ecs_task_definition" "core" {
  family                   = "${var.name}-core"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.core_cpu
  memory                   = var.core_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arns.core
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  # Scratch space for the process (the root file system is read-only); the store is RDS.
  volume {
    name = "scratch"
  }
  container_definitions = jsonencode([{
    name                   = "core"
    image                  = local.image
    essential              = true
    command                = ["core"]
    readonlyRootFilesystem = true
    user                   = "10001"
    mountPoints            = [{ sourceVolume = "scratch", containerPath = "/var/lib/orion" }]
    portMappings = [
      { containerPort = var.grpc_port, protocol = "tcp", name = "grpc" },
      { containerPort = var.http_port, protocol = "tcp", name = "ops" },
    ]
    environment = concat(local.common_env, [
      { name = "ORION_GRPC_ADDR", value = "0.0.0.0:${var.grpc_port}" },
      { name = "ORION_HTTP_ADDR", value = "0.0.0.0:${var.http_port}" },
      { name = "ORION_KAFKA_BROKERS", value = var.kafka_brokers },
      { name = "ORION_DATA_DIR", value = "/var/lib/orion" },
      { name = "ORION_CORES", value = "0,1" },
    ])
    secrets = [
      { name = "ORION_DATABASE_URL", valueFrom = var.secret_arns.database_url },
      { name = "ORION_JWT_SECRET", valueFrom = var.secret_arns.jwt },
      { name = "ORION_INTERNAL_TOKEN", valueFrom = var.secret_arns.internal },
    ]
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS http://127.0.0.1:${var.http_port}/readyz || exit 1"]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = local.log_config.core
  }])
}

resource "aws_ecs_task_definition" "bff" {
  family                   = "${var.name}-bff"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.bff_cpu
  memory                   = var.bff_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arns.bff
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "scratch"
  }
  container_definitions = jsonencode([{
    name                   = "bff"
    image                  = local.image
    essential              = true
    command                = ["bff"]
    readonlyRootFilesystem = true
    user                   = "10001"
    mountPoints            = [{ sourceVolume = "scratch", containerPath = "/var/lib/orion" }]
    portMappings           = [{ containerPort = var.http_port, protocol = "tcp", name = "http" }]
    environment = concat(local.common_env, [
      { name = "ORION_HTTP_ADDR", value = "0.0.0.0:${var.http_port}" },
      { name = "ORION_CORE_URL", value = "http://core.${aws_service_discovery_private_dns_namespace.this.name}:${var.grpc_port}" },
      { name = "ORION_WEB_BUILD", value = "off" },
      { name = "ORION_WEB_DIR", value = "/usr/share/orion/web" },
      { name = "ORION_DATA_DIR", value = "/var/lib/orion" },
    ])
    secrets = [
      { name = "ORION_INTERNAL_TOKEN", valueFrom = var.secret_arns.internal },
    ]
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS http://127.0.0.1:${var.http_port}/healthz || exit 1"]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 15
    }
    logConfiguration = local.log_config.bff
  }])
}

resource "aws_ecs_service" "core" {
  name            = "core"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.core.arn
  launch_type     = "FARGATE"
  desired_count   = 1
  # The single writer: stop the old core before the new one starts.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  enable_execute_command             = false
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.security_group_ids.core]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.grpc.arn
    container_name   = "core"
    container_port   = var.grpc_port
  }
  service_registries {
    registry_arn = aws_service_discovery_service.core.arn
  }
  depends_on = [aws_lb_listener_rule.grpc]
}

resource "aws_ecs_service" "bff" {
  name                               = "bff"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.bff.arn
  launch_type                        = "FARGATE"
  desired_count                      = var.bff_min
  deployment_minimum_healthy_percent = 50
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.security_group_ids.bff]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.bff.arn
    container_name   = "bff"
    container_port   = var.http_port
  }
  lifecycle {
    ignore_changes = [desired_count]
  }
  depends_on = [aws_lb_listener.https]
}

# ---------------------------------------------------------------------------------------------
# BFF autoscaling: CPU and open connections per task (WebSocket sessions dominate a replica).

resource "aws_appautoscaling_target" "bff" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.bff.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.bff_min
  max_capacity       = var.bff_max
}

resource "aws_appautoscaling_policy" "bff_cpu" {
  name               = "${var.name}-bff-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.bff.service_namespace
  resource_id        = aws_appautoscaling_target.bff.resource_id
  scalable_dimension = aws_appautoscaling_target.bff.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
  }
}

resource "aws_appautoscaling_policy" "bff_connections" {
  name               = "${var.name}-bff-connections"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.bff.service_namespace
  resource_id        = aws_appautoscaling_target.bff.resource_id
  scalable_dimension = aws_appautoscaling_target.bff.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.bff_connections_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    customized_metric_specification {
      metrics {
        id          = "connections"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/ApplicationELB"
            metric_name = "ActiveConnectionCount"
            dimensions {
              name  = "LoadBalancer"
              value = aws_lb.this.arn_suffix
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.bff.name
            }
          }
        }
      }
      metrics {
        id          = "per_task"
        expression  = "connections / MAX([tasks, 1])"
        label       = "Open connections per BFF task"
        return_data = true
      }
    }
  }
}
