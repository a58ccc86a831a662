# hcpool 邮件的简体中文文本。`{ $base }` 是权益池的网址，`{ $link }` 是读者要打开的链接，
# `{ $ip }` 是发出请求的 IP 地址。

mail-signup-taken-subject = 权益池注册
mail-signup-taken-body =
    尊敬的 HCASH 用户：

    有人（可能是您）试图在 { $base } 用这个邮箱地址注册，但该地址已经有账户了。您可以在 { $base }/signin 登录；如果忘记了密码，可以在 { $base }/passwordreset 重置。如果不是您本人操作，请忽略本邮件。

    HCASH 团队

mail-verify-subject = 权益池邮箱验证
mail-verify-body =
    尊敬的 HCASH 用户：

    为了您的账户安全，请点击以下链接验证您的邮箱地址。

    { $link }

    HCASH 团队

mail-reset-subject = 权益池密码重置
mail-reset-body =
    IP 地址 { $ip } 发出了重置您密码的请求。

    如需重置密码，请打开：

    { $link }

    以上链接在本邮件发出一小时后失效。

mail-password-changed-subject = 权益池密码已修改
mail-password-changed-body = 您在 { $base } 的账户密码已被修改。如果不是您本人操作，请立即联系权益池管理员。

mail-email-change-subject = 权益池邮箱更改
mail-email-change-new-body =
    IP 地址 { $ip } 发出了请求，要将您权益池账户的邮箱从 { $old } 更改为 { $new }。

    如需确认，请打开：

    { $link }

    该链接在一小时后失效。
mail-email-change-old-body = IP 地址 { $ip } 发出了请求，要将您权益池账户的邮箱从 { $old } 更改为 { $new }。如果不是您本人操作，请立即联系权益池管理员。

# 投票通知（用户自选）。`{ $ticket }` 选票哈希，`{ $height }` 区块高度，
# `{ $what }` 为 mail-notify-what-* 之一，`{ $link }` 退订链接。

mail-notify-voted-subject = 权益池：您的选票已投票
mail-notify-missed-subject = 权益池：您的选票错过了投票
mail-notify-expired-subject = 权益池：您的选票已过期
mail-notify-what-voted = 已投票
mail-notify-what-missed = 错过了投票，已被撤销
mail-notify-what-expired = 未被抽中投票即过期，已被撤销
mail-notify-event = 您的选票 { $ticket } 在区块 { $height } 中{ $what }。
mail-notify-digest-subject = 权益池：您今天的选票（{ $count } 个事件）
mail-notify-digest-head = 自上次汇总以来您的选票：{ $voted } 张已投票，{ $missed } 张错过投票，{ $expired } 张已过期。
mail-notify-digest-line = 区块 { $height }：选票 { $ticket } { $what }。
mail-notify-digest-more = ……另有 { $count } 条。
mail-notify-footer =
    您的选票：

    { $base }/tickets

    您收到此邮件，是因为您在权益池的“投票通知”页面选择了接收投票通知。如需停止，请打开：

    { $link }
